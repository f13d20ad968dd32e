import { describe, expect, it } from "vitest";
import { parseAgentDeployment } from "../../../operator/api/parse-agent-deployment.ts";
import { rolloutNotes } from "../../../operator/cli/rollout-notes.ts";

function notesOf(strategy: Record<string, unknown>) {
  const parsed = parseAgentDeployment({
    apiVersion: "agentry.dev/v1alpha1",
    kind: "AgentDeployment",
    metadata: { name: "bot" },
    spec: { agent: { model: "m" }, strategy },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return rolloutNotes(parsed.value);
}

describe("rolloutNotes", () => {
  it("says nothing about a rolling update", () => {
    expect(notesOf({ type: "RollingUpdate" })).toEqual([]);
  });

  it("lists the canary's steps, who promotes, the route and the Prometheus it needs", () => {
    const analysis = { metrics: [{ name: "e", builtin: "errorRate", max: 0.05 }] };
    expect(
      notesOf({
        type: "Canary",
        canary: {
          steps: [{ setWeight: 10 }, { pause: {} }, { analysis }],
          trafficRouting: { gatewayAPI: { httpRoute: "public" } },
        },
      }),
    ).toEqual([
      "canary: 10% -> pause until promoted -> analysis -> 100%",
      "a pause without duration waits for the agentry.dev/promote annotation",
      "needs HTTPRoute public with a rule listing Services bot-stable and bot-canary",
      "analysis reads the operator's Prometheus (AGENTRY_PROMETHEUS_ADDRESS); without one it pauses the rollout",
    ]);
  });

  it("says when blue-green waits for a promote, and that an analysis with its own address needs nothing", () => {
    const analysis = {
      metrics: [{ name: "e", builtin: "errorRate", max: 0.05 }],
      prometheus: { address: "http://prom:9090" },
    };
    expect(
      notesOf({
        type: "BlueGreen",
        blueGreen: { autoPromotionEnabled: false, prePromotionAnalysis: analysis },
      }),
    ).toEqual([
      "blue-green: the new revision waits behind bot-preview for the agentry.dev/promote annotation",
    ]);
    expect(notesOf({ type: "BlueGreen", blueGreen: { autoPromotionSeconds: 60 } })).toEqual([
      "blue-green: the new revision is promoted 60s after it is ready",
    ]);
  });
});
