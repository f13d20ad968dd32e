import { describe, expect, it } from "vitest";
import {
  median,
  medianRound,
  type PhaseResult,
  round2,
  summary,
} from "../../../bench/runtime/phase-summary.ts";

describe("median", () => {
  it.each([
    { values: [], expected: Number.NaN },
    { values: [7], expected: 7 },
    { values: [3, 1, 2], expected: 2 },
    { values: [4, 1, 3, 2], expected: 2.5 },
    { values: [0.5, -1], expected: -0.25 },
  ])("of $values is $expected", ({ values, expected }) => {
    expect(median(values)).toBe(expected);
  });

  it("leaves its input in its order", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

const round = (rps: number, errors = 0): PhaseResult => ({
  requests: rps * 2,
  errors,
  seconds: 2,
  rps,
  p50Ms: rps / 100,
  p99Ms: rps / 10,
});

describe("medianRound", () => {
  it.each([
    { rps: [300], expected: 300 },
    { rps: [300, 100, 200], expected: 200 },
    // An even count takes the lower of the two middle rounds: a round that happened, not a mean.
    { rps: [100, 400, 200, 300], expected: 200 },
  ])("of rounds at $rps rps is the one at $expected", ({ rps, expected }) => {
    expect(medianRound(rps.map((value) => round(value))).rps).toBe(expected);
  });

  it("brings the round's own latencies and errors along", () => {
    expect(medianRound([round(100, 0), round(300, 0), round(200, 7)])).toEqual(round(200, 7));
  });
});

describe("summary", () => {
  it.each([
    {
      name: "four requests in two seconds",
      sorted: [1, 2, 3, 4],
      errors: 1,
      seconds: 2,
      expected: { requests: 4, errors: 1, seconds: 2, rps: 2, p50Ms: 3, p99Ms: 4 },
    },
    {
      name: "figures rounded to two decimals, rps to a whole number",
      sorted: [0.123, 0.456, 0.789, 1.2367],
      errors: 0,
      seconds: 1.23456,
      expected: { requests: 4, errors: 0, seconds: 1.23, rps: 3, p50Ms: 0.79, p99Ms: 1.24 },
    },
    {
      name: "no answers at all",
      sorted: [],
      errors: 32,
      seconds: 3,
      expected: { requests: 0, errors: 32, seconds: 3, rps: 0, p50Ms: Number.NaN, p99Ms: Number.NaN },
    },
  ])("$name", ({ sorted, errors, seconds, expected }) => {
    expect(summary(sorted, errors, seconds)).toEqual(expected);
  });
});

describe("round2", () => {
  it.each([
    { value: 0.004, expected: 0 },
    { value: 2.346, expected: 2.35 },
    { value: -0.126, expected: -0.13 },
    { value: 570.07, expected: 570.07 },
  ])("$value -> $expected", ({ value, expected }) => {
    expect(round2(value)).toBe(expected);
  });
});
