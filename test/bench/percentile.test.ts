import { describe, expect, it } from "vitest";
import { percentile } from "../support/percentile.ts";

describe("percentile", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it.each([
    [50, 51],
    [99, 100],
    [100, 100],
    [0, 1],
  ])("p%d of 1..100 is %d (nearest rank)", (p, expected) => {
    expect(percentile(hundred, p)).toBe(expected);
  });

  it("of one value is that value, of none NaN", () => {
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBeNaN();
  });
});
