import { describe, expect, it } from "vitest";
import { age, listView } from "../../../../operator/cli/plugin/list-view.ts";
import { canaryAgent } from "./agent-fixtures.ts";

describe("listView", () => {
  it("one line per agent, sorted by namespace and name", () => {
    const now = new Date("2026-01-03T00:00:00Z");
    const canary = canaryAgent({
      phase: "Paused",
      readyReplicas: 4,
      stableRevision: "old",
      updateRevision: "new",
      canary: { currentStepIndex: 3, stepCount: 4, weight: 50 },
    });
    canary.metadata.creationTimestamp = "2026-01-01T00:00:00Z";
    const plain = {
      metadata: { name: "aaa", namespace: "zzz", creationTimestamp: "2026-01-02T23:59:30Z" },
      spec: { replicas: 2 },
    };
    expect(listView([plain, canary], now)).toEqual([
      "NAMESPACE   NAME   STRATEGY        PHASE     READY   STEP   WEIGHT   STABLE   UPDATE   AGE",
      "agents      bot    Canary          Paused    4/4     4/4    50%      old      new      2d",
      "zzz         aaa    RollingUpdate   Unknown   0/2     -      -        -        -        30s",
    ]);
    expect(listView([], now)).toEqual(["No AgentDeployments found."]);
  });

  it.each([
    [30, "30s"],
    [600, "10m"],
    [5 * 3600, "5h"],
    [4 * 86_400, "4d"],
  ])("age of %is is %s", (seconds, text) => {
    expect(age("2026-01-01T00:00:00Z", new Date(Date.parse("2026-01-01T00:00:00Z") + seconds * 1000))).toBe(
      text,
    );
  });
});
