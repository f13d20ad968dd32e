import { describe, expect, it } from "vitest";
import { createLocalRateLimiter } from "../../../agent-runtime/ratelimit/local-rate-limiter.ts";

describe("per-replica rate limiter (the fallback while Redis is down)", () => {
  it("allows the burst, refills at the configured rate and says when the next token comes", async () => {
    let now = 0;
    // 60 rpm = one token per second.
    const limiter = createLocalRateLimiter(
      { requestsPerMinute: 60, burst: 2, key: "client" },
      { now: () => now },
    );
    expect((await limiter.take("a")).allowed).toBe(true);
    expect(await limiter.take("a")).toMatchObject({ allowed: true, remaining: 0 });
    expect(await limiter.take("a")).toMatchObject({ allowed: false, retryAfterMs: 1000, resetMs: 2000 });
    now = 1000;
    expect((await limiter.take("a")).allowed).toBe(true);
    expect((await limiter.take("b")).allowed).toBe(true);
  });

  it("forgets the least recently used buckets beyond maxKeys", async () => {
    const limiter = createLocalRateLimiter(
      { requestsPerMinute: 1, burst: 1, key: "client" },
      { now: () => 0, maxKeys: 2 },
    );
    await limiter.take("a");
    await limiter.take("b");
    await limiter.take("a");
    await limiter.take("c"); // evicts b, the least recently used
    expect((await limiter.take("a")).allowed).toBe(false);
    expect((await limiter.take("b")).allowed).toBe(true);
  });
});
