import { describe, expect, it } from "vitest";
import { rolloutSettled } from "../../../../operator/cli/plugin/rollout-settled.ts";
import { canaryAgent } from "./agent-fixtures.ts";

describe("rolloutSettled", () => {
  const cases = [
    {
      name: "Healthy",
      status: { phase: "Healthy" as const },
      settled: { settled: true, ok: true, reason: "Healthy" },
    },
    {
      name: "an indefinite pause (the message names the promote annotation)",
      status: {
        phase: "Paused" as const,
        message: "canary step 4/4 (pause): weight 50%, paused until promoted (annotate agentry.dev/promote)",
      },
      settled: { settled: true, ok: true },
    },
    {
      name: "a timed pause",
      status: {
        phase: "Paused" as const,
        message: "canary step 2/4 (pause 2s): weight 25%, paused until 2026-01-02T00:01:00Z",
      },
      settled: { settled: false },
    },
    { name: "Progressing", status: { phase: "Progressing" as const }, settled: { settled: false } },
    {
      name: "Degraded",
      status: { phase: "Degraded" as const, message: "aborted" },
      settled: { settled: true, ok: false, reason: "Degraded: aborted" },
    },
    {
      name: "stalled while Progressing",
      status: {
        phase: "Progressing" as const,
        message: "Secret openai does not exist",
        conditions: [
          {
            type: "Stalled",
            status: "True" as const,
            reason: "MissingReference",
            message: "",
            lastTransitionTime: "2026-01-01T00:00:00Z",
          },
        ],
      },
      settled: { settled: true, ok: false },
    },
    {
      name: "Healthy but for an older generation",
      status: { phase: "Healthy" as const, observedGeneration: 2 },
      settled: { settled: false },
    },
  ];
  for (const { name, status, settled } of cases) {
    it(name, () => {
      expect(rolloutSettled(canaryAgent(status))).toMatchObject(settled);
    });
  }

  it("spec.paused is a person's wait too", () => {
    expect(
      rolloutSettled(canaryAgent({ phase: "Paused", message: "paused" }, { paused: true })),
    ).toMatchObject({
      settled: true,
      ok: true,
    });
  });
});
