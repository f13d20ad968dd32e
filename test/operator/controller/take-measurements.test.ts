// An analysis whose Prometheus cannot be reached says so from the first failed round: in the
// canary's message and as a Warning Event, while it still tolerates consecutiveErrorLimit rounds
// before it pauses. The rounds are taken by the controller's takeMeasurements against a loopback
// port nothing listens on, so the error is the one an operator would see.
import pino from "pino";
import { describe, expect, it } from "vitest";
import { parseAgentDeployment } from "../../../operator/api/parse-agent-deployment.ts";
import { canarySpec } from "../../../operator/api/strategy-spec.ts";
import { takeMeasurements } from "../../../operator/controller/take-measurements.ts";
import type { KubeApi } from "../../../operator/kube/kube-api.ts";
import type { AnalysisSpec } from "../../../operator/reconcile/analysis-gate.ts";
import { type CanaryDecision, type CanaryInput, decideCanary } from "../../../operator/reconcile/canary.ts";
import { NO_ACTIONS } from "../../../operator/reconcile/rollout-actions.ts";

// Port 1 on loopback: nothing listens, the connection is refused at once.
const ADDRESS = "http://127.0.0.1:1";
const UNREACHABLE = `Prometheus at ${ADDRESS} unreachable: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1`;
const steps = [
  { setWeight: 10 },
  {
    analysis: {
      interval: "1m",
      metrics: [
        { name: "errors", builtin: "errorRate", max: 0.05 },
        { name: "latency", builtin: "latencyP95Seconds", max: 2 },
      ],
    },
  },
  { setWeight: 50 },
];
const spec = canarySpec.parse({ steps });
const stepAnalysis = spec.steps[1]?.analysis as AnalysisSpec;
const agent = (() => {
  const parsed = parseAgentDeployment({
    apiVersion: "agentry.dev/v1alpha1",
    kind: "AgentDeployment",
    metadata: { name: "bot", namespace: "agents", generation: 2 },
    spec: { agent: { model: "m" }, strategy: { type: "Canary", canary: { steps } } },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
})();
const deps = {
  api: {} as KubeApi,
  prometheus: { address: ADDRESS, bearerTokenFile: undefined, caFile: undefined },
  log: pino({ level: "silent" }),
};

/** One reconcile of a canary at its analysis step, with the round the controller took now. */
async function reconcile(previous: CanaryDecision | undefined, minute: number): Promise<CanaryDecision> {
  const now = new Date(Date.parse("2026-12-01T10:00:00Z") + minute * 60_000);
  const due = [{ slot: "step" as const, spec: stepAnalysis, canaryRevision: "new", stableRevision: "old" }];
  const input: CanaryInput = {
    spec,
    desired: 10,
    paused: false,
    now,
    stable: { revision: "old", replicas: 9, available: 9 },
    update: { revision: "new", replicas: 1, available: 1 },
    previous: previous?.progress ?? { currentStepIndex: 1, stepCount: 3, weight: 10 },
    previousAbort: undefined,
    actions: NO_ACTIONS,
    deadlineExceeded: undefined,
    progressDeadlineAbort: false,
    measurements: await takeMeasurements(agent, due, deps, now),
  };
  return decideCanary(input);
}

describe("an analysis whose Prometheus cannot be reached", () => {
  it("says so from the first failed round, once for all metrics, and pauses only past consecutiveErrorLimit", async () => {
    const first = await reconcile(undefined, 0);
    expect(first.message).toBe(
      `canary step 2/3 (analysis): weight 10%, step 2 analysis: ${UNREACHABLE} (1 of 5 failed rounds)`,
    );
    expect(first.waiting).toBe(false);
    expect(first.events).toContainEqual({
      type: "Warning",
      reason: "AnalysisQueryFailed",
      message: `step 2 analysis: ${UNREACHABLE} (1 of 5 failed rounds)`,
    });
    expect(first.progress.analysis).toMatchObject({
      phase: "Running",
      consecutiveErrors: 1,
      queryError: UNREACHABLE,
    });

    let decision = first;
    for (let round = 2; round <= 4; round++) decision = await reconcile(decision, round - 1);
    expect(decision.message).toContain(`(4 of 5 failed rounds)`);
    expect(decision.waiting).toBe(false);

    // The fifth failed round is one more than consecutiveErrorLimit (4): the rollout pauses.
    const fifth = await reconcile(decision, 4);
    expect(fifth.waiting).toBe(true);
    expect(fifth.progress.analysis?.phase).toBe("Inconclusive");
    expect(fifth.message).toContain("step 2 analysis inconclusive (5 rounds of query errors in a row");
    expect(fifth.events.map((event) => event.reason)).toEqual([
      "AnalysisQueryFailed",
      "AnalysisInconclusive",
    ]);
  });
});
