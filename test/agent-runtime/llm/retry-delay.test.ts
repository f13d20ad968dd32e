import { describe, expect, it } from "vitest";
import { computeRetryDelayMs, parseRetryAfterMs } from "../../../agent-runtime/llm/retry-delay.ts";

const policy = { baseMs: 200, maxMs: 10_000 };

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it.each([
    [null, null, undefined],
    ["2", null, 2000],
    ["0.5", null, 500],
    ["1", "250", 250],
    ["Wed, 01 Jan 2025 00:00:03 GMT", null, 3000],
    ["Wed, 31 Dec 2024 00:00:00 GMT", null, 0],
    ["soon", null, undefined],
  ])("Retry-After %s, retry-after-ms %s -> %s ms", (retryAfter, retryAfterMs, expected) => {
    expect(parseRetryAfterMs(retryAfter, retryAfterMs, now)).toBe(expected);
  });
});

describe("computeRetryDelayMs", () => {
  it("doubles the jitter ceiling per attempt (full jitter)", () => {
    expect(computeRetryDelayMs(0, undefined, policy, () => 1)).toBe(200);
    expect(computeRetryDelayMs(1, undefined, policy, () => 1)).toBe(400);
    expect(computeRetryDelayMs(2, undefined, policy, () => 0.5)).toBe(400);
    expect(computeRetryDelayMs(3, undefined, policy, () => 0)).toBe(0);
  });

  it("never waits longer than maxMs", () => {
    expect(computeRetryDelayMs(20, undefined, policy, () => 1)).toBe(10_000);
  });

  it("honours Retry-After, adding at most 10% jitter", () => {
    expect(computeRetryDelayMs(0, 3000, policy, () => 0)).toBe(3000);
    expect(computeRetryDelayMs(0, 3000, policy, () => 1)).toBe(3300);
  });

  it("gives up when Retry-After is longer than worth waiting", () => {
    expect(computeRetryDelayMs(0, 60_000, policy, () => 0)).toBeUndefined();
  });
});
