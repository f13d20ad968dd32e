import { describe, expect, it } from "vitest";
import { createAuthFailureLimiter } from "../../../agent-runtime/ratelimit/auth-failure-limiter.ts";

describe("auth failure limiter", () => {
  it("blocks a source once its burst of failures is spent, until one failure's worth has refilled", () => {
    let now = 0;
    const limiter = createAuthFailureLimiter({ failuresPerMinute: 6, burst: 2 }, { now: () => now });
    limiter.recordFailure("a");
    expect(limiter.blockedForMs("a")).toBe(0);
    limiter.recordFailure("a");
    expect(limiter.blockedForMs("a")).toBe(10_000);
    expect(limiter.blockedForMs("b")).toBe(0);
    now = 4_000;
    expect(limiter.blockedForMs("a")).toBe(6_000);
    now = 10_000;
    expect(limiter.blockedForMs("a")).toBe(0);
  });

  it("forgets the least recently failed source first when the table is full", () => {
    const limiter = createAuthFailureLimiter(
      { failuresPerMinute: 1, burst: 1 },
      { maxSources: 2, now: () => 0 },
    );
    for (const source of ["a", "b", "c"]) limiter.recordFailure(source);
    expect(limiter.blockedForMs("a")).toBe(0);
    expect(limiter.blockedForMs("b")).toBeGreaterThan(0);
    expect(limiter.blockedForMs("c")).toBeGreaterThan(0);
  });
});
