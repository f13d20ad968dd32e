// Unit tests of the benchmarks' pure helpers in test/support/.
import { describe, expect, it } from "vitest";
import { leastSquaresSlope } from "../support/least-squares-slope.ts";

const line = (segment: number, from: number, to: number, slope: number, intercept: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    x: from + i,
    y: intercept + slope * (from + i),
    segment,
  }));

describe("leastSquaresSlope", () => {
  it("is the slope of points on a line", () => {
    expect(leastSquaresSlope(line(0, 10, 60, 0.25, 80))).toBeCloseTo(0.25, 10);
  });

  it("fits noisy points as ordinary least squares does", () => {
    const samples = [
      { x: 0, y: 1 },
      { x: 1, y: 3 },
      { x: 2, y: 2 },
      { x: 3, y: 5 },
    ].map((point) => ({ ...point, segment: 0 }));
    // Sxy = 5.5, Sxx = 5
    expect(leastSquaresSlope(samples)).toBeCloseTo(1.1, 10);
  });

  it("does not count the step between segments as growth", () => {
    // A restart at x = 30 drops from ~140 to ~60; both processes are flat.
    const samples = [...line(0, 10, 30, 0, 140), ...line(1, 31, 60, 0, 60)];
    expect(leastSquaresSlope(samples)).toBe(0);
    const pooled = samples.map((sample) => ({ ...sample, segment: 0 }));
    expect(leastSquaresSlope(pooled)).toBeLessThan(-2);
  });

  it("finds the growth both segments share", () => {
    const samples = [...line(0, 10, 30, 0.5, 140), ...line(1, 31, 60, 0.5, 20)];
    expect(leastSquaresSlope(samples)).toBeCloseTo(0.5, 10);
  });

  it("is NaN without two distinct x values in a segment", () => {
    expect(leastSquaresSlope([])).toBeNaN();
    expect(
      leastSquaresSlope([
        { x: 1, y: 2, segment: 0 },
        { x: 5, y: 9, segment: 1 },
      ]),
    ).toBeNaN();
  });
});
