import { describe, expect, it } from "vitest";
import type { AgentDeploymentStatus } from "../../../../operator/api/agent-deployment.ts";
import { emptyPlan } from "../../../../operator/reconcile/reconcile-plan.ts";
import { invalidSpecOutcome, refusedApplyPlan } from "../../../../operator/reconcile/status/refused-plan.ts";

const now = new Date("2026-12-08T10:00:00Z");
const serving: AgentDeploymentStatus = {
  observedGeneration: 3,
  phase: "Healthy",
  message: "revision abc: 2/2 available",
  updateRevision: "abc",
  stableRevision: "abc",
};
const stalledOf = (status: AgentDeploymentStatus) =>
  status.conditions?.find((condition) => condition.type === "Stalled");

describe("refusedApplyPlan", () => {
  const plan = {
    ...emptyPlan(serving),
    events: [
      { type: "Normal" as const, reason: "RolloutStarted", message: "rolling out revision def" },
      { type: "Warning" as const, reason: "DriftFight", message: "Service/a keeps changing back" },
    ],
  };

  it("stalls the agent with ApplyFailed, keeps drift-fight warnings and drops Events that did not happen", () => {
    const refused = refusedApplyPlan(plan, serving, "spec.affinity: Invalid value", 4, now);
    expect(refused.blocked).toEqual({ reason: "ApplyFailed", message: "spec.affinity: Invalid value" });
    expect(refused.events.map((event) => event.reason)).toEqual(["ApplyFailed", "DriftFight"]);
    expect(stalledOf(refused.status)).toMatchObject({ status: "True", reason: "ApplyFailed" });
    expect(refused.status.phase).toBe("Degraded");
  });

  it("warns once: the same refusal again sends only the fight warnings", () => {
    const first = refusedApplyPlan(plan, serving, "spec.affinity: Invalid value", 4, now);
    const again = refusedApplyPlan(
      { ...plan, status: first.status },
      first.status,
      "spec.affinity: Invalid value",
      4,
      now,
    );
    expect(again.events.map((event) => event.reason)).toEqual(["DriftFight"]);
  });
});

describe("invalidSpecOutcome", () => {
  it("stalls with InvalidSpec and one Warning naming the problem", () => {
    const outcome = invalidSpecOutcome(serving, "spec.replicas: expected number", 5, now);
    expect(stalledOf(outcome.status)).toMatchObject({
      status: "True",
      reason: "InvalidSpec",
      message: "invalid spec: spec.replicas: expected number",
    });
    expect(outcome.events).toEqual([
      { type: "Warning", reason: "InvalidSpec", message: "invalid spec: spec.replicas: expected number" },
    ]);
    expect(invalidSpecOutcome(outcome.status, "spec.replicas: expected number", 5, now).events).toEqual([]);
  });
});
