import { describe, expect, it } from "vitest";
import { withDriftFights } from "../../../../operator/reconcile/status/drift-fight-status.ts";

const status = {
  phase: "Healthy" as const,
  conditions: [
    {
      type: "Ready",
      status: "True" as const,
      reason: "RolloutComplete",
      message: "",
      lastTransitionTime: "2026-11-26T09:00:00Z",
    },
  ],
};
const fight = { object: "Service/bot", fields: ["spec.selector"], managers: ["kubectl-patch"] };

describe("withDriftFights", () => {
  it("names the object, the fields and the other writer", () => {
    const fought = withDriftFights(status, status, [fight], 3, new Date("2026-11-26T10:00:00Z"));
    expect(fought.conditions?.[1]).toEqual({
      type: "DriftFight",
      status: "True",
      reason: "DriftFight",
      message:
        "Service/bot (spec.selector) keeps changing back after repair, also written by kubectl-patch; repairs pause with growing backoff",
      lastTransitionTime: "2026-11-26T10:00:00Z",
      observedGeneration: 3,
    });
    // Seen again later: the same status, so nothing is written.
    expect(withDriftFights(status, fought, [fight], 3, new Date("2026-11-26T10:09:00Z"))).toEqual(fought);
  });

  it("drops the condition once the fight is over", () => {
    const fought = withDriftFights(status, status, [fight], 3, new Date());
    expect(
      withDriftFights(fought, fought, [], 3, new Date()).conditions?.map((condition) => condition.type),
    ).toEqual(["Ready"]);
  });
});
