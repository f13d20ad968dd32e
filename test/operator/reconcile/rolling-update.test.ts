import { describe, expect, it } from "vitest";
import { resolveIntOrPercent } from "../../../operator/reconcile/int-or-percent.ts";
import { type RevisionReplicas, stepRollingUpdate } from "../../../operator/reconcile/rolling-update.ts";

describe("resolveIntOrPercent", () => {
  it.each([
    ["25%", 10, "up", 3],
    ["25%", 10, "down", 2],
    ["0%", 10, "up", 0],
    [2, 10, "down", 2],
    ["100%", 3, "up", 3],
  ] as const)("%s of %d rounded %s = %d", (value, total, round, expected) => {
    expect(resolveIntOrPercent(value, total, round)).toBe(expected);
  });
});

/**
 * Runs the rollout to the end as a cluster would: each applied replica count becomes that many
 * pods, which turn available one reconcile later. Returns every intermediate state.
 */
function simulate(
  desired: number,
  maxSurge: number | string,
  maxUnavailable: number | string,
  oldReplicas: number,
) {
  let update: RevisionReplicas = { revision: "new", replicas: 0, available: 0 };
  let old: RevisionReplicas = { revision: "old", replicas: oldReplicas, available: oldReplicas };
  const states: Array<{ total: number; available: number }> = [];
  for (let round = 0; round < 100; round++) {
    const step = stepRollingUpdate({
      desired,
      maxSurge,
      maxUnavailable,
      update,
      olds: old.replicas > 0 ? [old] : [],
    });
    const updateTarget = step.replicas.get("new") ?? 0;
    const oldTarget = step.replicas.get("old") ?? 0;
    // Scale-downs take effect at once, scale-ups become available on the next round.
    update = { ...update, replicas: updateTarget, available: Math.min(update.replicas, updateTarget) };
    old = { ...old, replicas: oldTarget, available: Math.min(old.available, oldTarget) };
    states.push({ total: update.replicas + old.replicas, available: update.available + old.available });
    if (step.complete) return { states, rounds: round + 1 };
  }
  throw new Error(`rollout never completed: ${JSON.stringify(states.slice(-3))}`);
}

describe("stepRollingUpdate", () => {
  it("scales the update revision up first within maxSurge", () => {
    const step = stepRollingUpdate({
      desired: 4,
      maxSurge: "25%",
      maxUnavailable: 0,
      update: { revision: "new", replicas: 0, available: 0 },
      olds: [{ revision: "old", replicas: 4, available: 4 }],
    });
    expect(Object.fromEntries(step.replicas)).toEqual({ new: 1, old: 4 });
    expect(step.complete).toBe(false);
  });

  it("scales old pods down only as new pods become available", () => {
    const step = stepRollingUpdate({
      desired: 4,
      maxSurge: 1,
      maxUnavailable: 0,
      update: { revision: "new", replicas: 1, available: 1 },
      olds: [{ revision: "old", replicas: 4, available: 4 }],
    });
    expect(Object.fromEntries(step.replicas)).toEqual({ new: 1, old: 3 });
  });

  it("never removes an available old pod while the new ones are not ready", () => {
    const step = stepRollingUpdate({
      desired: 4,
      maxSurge: 1,
      maxUnavailable: 0,
      update: { revision: "new", replicas: 1, available: 0 },
      olds: [{ revision: "old", replicas: 4, available: 4 }],
    });
    expect(Object.fromEntries(step.replicas)).toEqual({ new: 1, old: 4 });
  });

  it("removes unavailable old pods first, at no cost in availability", () => {
    const step = stepRollingUpdate({
      desired: 4,
      maxSurge: 1,
      maxUnavailable: 0,
      update: { revision: "new", replicas: 1, available: 1 },
      olds: [{ revision: "old", replicas: 4, available: 2 }],
    });
    // One pod may go (5 pods, 4 needed): an unavailable one, so 3 stay available.
    expect(Object.fromEntries(step.replicas)).toEqual({ new: 1, old: 3 });
  });

  it("scales down the oldest revision first when several are live", () => {
    const step = stepRollingUpdate({
      desired: 4,
      maxSurge: 0,
      maxUnavailable: 2,
      update: { revision: "new", replicas: 0, available: 0 },
      olds: [
        { revision: "oldest", replicas: 1, available: 1 },
        { revision: "older", replicas: 3, available: 3 },
      ],
    });
    expect(Object.fromEntries(step.replicas)).toEqual({ new: 0, oldest: 0, older: 2 });
  });

  it("is complete only when every desired pod of the update is available and no old one is left", () => {
    const done = stepRollingUpdate({
      desired: 2,
      maxSurge: 1,
      maxUnavailable: 0,
      update: { revision: "new", replicas: 2, available: 2 },
      olds: [],
    });
    expect(done.complete).toBe(true);
    const notYet = stepRollingUpdate({
      desired: 2,
      maxSurge: 1,
      maxUnavailable: 0,
      update: { revision: "new", replicas: 2, available: 1 },
      olds: [],
    });
    expect(notYet.complete).toBe(false);
  });

  it.each([
    [1, "25%", 0],
    [4, "25%", 0],
    [10, "25%", "25%"],
    [10, 0, 1],
    [3, 5, 0],
    [7, "50%", "10%"],
  ] as const)(
    "desired %d, maxSurge %s, maxUnavailable %s: bounds hold all the way to completion",
    (desired, maxSurge, maxUnavailable) => {
      const { states, rounds } = simulate(desired, maxSurge, maxUnavailable, desired);
      const surge = resolveIntOrPercent(maxSurge, desired, "up") || (maxUnavailable === 0 ? 1 : 0);
      const minAvailable = desired - resolveIntOrPercent(maxUnavailable, desired, "down");
      for (const state of states) {
        expect(state.total).toBeLessThanOrEqual(desired + surge);
        expect(state.available).toBeGreaterThanOrEqual(Math.min(minAvailable, state.total));
      }
      expect(states.at(-1)).toEqual({ total: desired, available: desired });
      expect(rounds).toBeLessThanOrEqual(4 * desired + 4);
    },
  );

  it("with desired 0 removes everything", () => {
    const step = stepRollingUpdate({
      desired: 0,
      maxSurge: 1,
      maxUnavailable: 0,
      update: { revision: "new", replicas: 0, available: 0 },
      olds: [{ revision: "old", replicas: 2, available: 2 }],
    });
    expect(Object.fromEntries(step.replicas)).toEqual({ new: 0, old: 0 });
    expect(step.complete).toBe(true);
  });
});
