import { describe, expect, it } from "vitest";
import { type ObservedAgent, RolloutClock } from "../support/rollout-clock.ts";

const agent = (name: string, observedGeneration: number, phase: string): ObservedAgent => ({
  metadata: { name },
  status: { observedGeneration, phase },
});

describe("RolloutClock", () => {
  it("times a rollout to the first Healthy status of its generation", () => {
    const clock = new RolloutClock();
    clock.begin("a", 2, 1000);
    // The status of the generation before, still Healthy: not this rollout's end.
    expect(clock.observe(agent("a", 1, "Healthy"), 1100)).toEqual([]);
    expect(clock.observe(agent("a", 2, "Progressing"), 1500)).toEqual([]);
    expect(clock.observe(agent("a", 2, "Healthy"), 4500)).toEqual([
      { name: "a", outcome: "Healthy", seconds: 3.5 },
    ]);
    expect(clock.inFlight).toBe(0);
    // Later events of a finished rollout count nothing.
    expect(clock.observe(agent("a", 2, "Healthy"), 9000)).toEqual([]);
  });

  it("ends a rollout as Degraded, and ignores agents with none in flight", () => {
    const clock = new RolloutClock();
    clock.begin("a", 3, 0);
    expect(clock.observe(agent("b", 9, "Healthy"), 10)).toEqual([]);
    expect(clock.observe(agent("a", 4, "Degraded"), 2000)).toEqual([
      { name: "a", outcome: "Degraded", seconds: 2 },
    ]);
    expect(clock.observe(undefined, 10)).toEqual([]);
  });

  it("supersedes a rollout of the same agent and expires the slow ones", () => {
    const clock = new RolloutClock();
    clock.begin("a", 2, 0);
    expect(clock.begin("a", 3, 5000)).toEqual([{ name: "a", outcome: "Superseded", seconds: 5 }]);
    clock.begin("b", 2, 6000);
    expect(clock.expire(64_000, 60_000)).toEqual([]);
    expect(clock.expire(65_000, 60_000)).toEqual([{ name: "a", outcome: "TimedOut", seconds: 60 }]);
    expect(clock.inFlight).toBe(1);
  });
});
