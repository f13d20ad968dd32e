import { describe, expect, it } from "vitest";
import { canaryStepLabel } from "../../../../operator/reconcile/status/canary-step-label.ts";

describe("canaryStepLabel", () => {
  it.each([
    [0, 5, "1/5"],
    [1, 5, "2/5"],
    [4, 5, "5/5"],
    // Every step passed (promoting, or steady state): the last step.
    [5, 5, "5/5"],
    [0, 0, undefined],
    [undefined, 5, undefined],
    [1, undefined, undefined],
  ])("index %s of %s steps reads %s", (index, count, label) => {
    expect(canaryStepLabel(index, count)).toBe(label);
  });
});
