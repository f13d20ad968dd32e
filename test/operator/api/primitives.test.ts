import { describe, expect, it } from "vitest";
import { parseDurationMs } from "../../../operator/api/primitives.ts";

describe("parseDurationMs", () => {
  it.each([
    [90, 90_000],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["250ms", 250],
    ["1.5s", 1500],
    [0, 0],
  ])("%s -> %d ms", (input, expected) => {
    expect(parseDurationMs(input)).toBe(expected);
  });
});
