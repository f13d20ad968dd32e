import { describe, expect, it } from "vitest";
import type { AgentDeploymentStatus } from "../../../../operator/api/agent-deployment.ts";
import { isNewStall, stalledStatus } from "../../../../operator/reconcile/status/stalled-status.ts";

const healthy: AgentDeploymentStatus = {
  phase: "Healthy",
  message: "revision a: 2/2 available",
  conditions: [
    {
      type: "Ready",
      status: "True",
      reason: "RolloutComplete",
      message: "",
      lastTransitionTime: "2026-11-26T09:00:00Z",
    },
    {
      type: "Reconciling",
      status: "False",
      reason: "RolloutComplete",
      message: "",
      lastTransitionTime: "2026-11-26T09:00:00Z",
    },
    {
      type: "Stalled",
      status: "False",
      reason: "Recovered",
      message: "",
      lastTransitionTime: "2026-11-26T09:00:00Z",
    },
    {
      type: "Available",
      status: "True",
      reason: "MinimumReplicasAvailable",
      message: "2/2 available",
      lastTransitionTime: "2026-11-26T09:00:00Z",
    },
  ],
};
const blocked = { reason: "ApplyFailed", message: "Deployment bot-a is invalid" };

describe("stalledStatus", () => {
  it("reports the stall and keeps the conditions about what still runs", () => {
    const status = stalledStatus(healthy, healthy, blocked, 4, new Date("2026-11-26T10:00:00.500Z"));
    expect(status.phase).toBe("Degraded");
    expect(status.message).toBe(blocked.message);
    expect(status.observedGeneration).toBe(4);
    expect(status.conditions?.map(({ type, status: value, reason }) => `${type}=${value}/${reason}`)).toEqual(
      [
        "Ready=False/ApplyFailed",
        "Reconciling=False/ApplyFailed",
        "Stalled=True/ApplyFailed",
        "Progressing=False/ApplyFailed",
        "Available=True/MinimumReplicasAvailable",
      ],
    );
    expect(status.conditions?.[2]?.lastTransitionTime).toBe("2026-11-26T10:00:00Z");
  });

  it("is Degraded, as Stalled=True says, while the message and Available tell that an earlier revision serves", () => {
    const serving = { ...healthy, stableRevision: "a", availableReplicas: 2 };
    const status = stalledStatus(serving, serving, blocked, 4, new Date("2026-11-26T10:00:00Z"));
    expect(status.phase).toBe("Degraded");
    expect(status.message).toBe(
      `rollout stalled, revision a keeps serving (2 available): ${blocked.message}`,
    );
    expect(status.conditions?.find((condition) => condition.type === "Available")?.status).toBe("True");
    const unavailable = {
      ...serving,
      conditions: serving.conditions?.map((condition) =>
        condition.type === "Available" ? { ...condition, status: "False" as const } : condition,
      ),
    };
    const nothingServes = stalledStatus(unavailable, serving, blocked, 4, new Date());
    expect([nothingServes.phase, nothingServes.message]).toEqual(["Degraded", blocked.message]);
  });

  it("gives the same status when the same stall is seen again later, so nothing is rewritten", () => {
    const first = stalledStatus(healthy, healthy, blocked, 4, new Date("2026-11-26T10:00:00Z"));
    const again = stalledStatus(healthy, first, blocked, 4, new Date("2026-11-26T10:05:00Z"));
    expect(again).toEqual(first);
    expect(isNewStall(first, blocked)).toBe(false);
    expect(isNewStall(first, { ...blocked, message: "something else" })).toBe(true);
    expect(isNewStall(healthy, blocked)).toBe(true);
  });
});
