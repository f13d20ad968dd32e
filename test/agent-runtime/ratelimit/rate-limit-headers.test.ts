import { describe, expect, it } from "vitest";
import { rateLimitHeaders, rateLimitKeyOf } from "../../../agent-runtime/ratelimit/rate-limiter.ts";

describe("rateLimitKeyOf", () => {
  it.each([
    ["client", "key-abc", "10.0.0.1", "client:key-abc"],
    ["client", undefined, "10.0.0.1", "ip:10.0.0.1"],
    ["ip", "key-abc", "10.0.0.1", "ip:10.0.0.1"],
    ["global", "key-abc", "10.0.0.1", "global"],
  ] as const)("%s / %s / %s -> %s", (mode, principal, ip, expected) => {
    expect(rateLimitKeyOf(mode, principal, ip)).toBe(expected);
  });
});

describe("rateLimitHeaders", () => {
  const config = { requestsPerMinute: 60, burst: 10, key: "client" as const };
  it("describes the bucket on allowed requests", () => {
    expect(
      rateLimitHeaders({ allowed: true, limit: 10, remaining: 4, retryAfterMs: 0, resetMs: 5500 }, config),
    ).toEqual({
      "ratelimit-limit": "10",
      "ratelimit-remaining": "4",
      "ratelimit-reset": "6",
      "ratelimit-policy": "10;w=10",
    });
  });

  it("adds Retry-After in whole seconds, at least 1, on refusal", () => {
    const headers = rateLimitHeaders(
      { allowed: false, limit: 10, remaining: 0, retryAfterMs: 200, resetMs: 10_000 },
      config,
    );
    expect(headers["retry-after"]).toBe("1");
  });
});
