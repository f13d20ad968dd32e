/**
 * The same token bucket as the Redis one, kept in this process: the fallback while Redis is
 * unavailable. Each replica then enforces the configured limit on its own, so across N replicas
 * a client may get up to N times the limit until Redis is back. The table is bounded (see
 * token-buckets.ts).
 */
import type { RateLimitConfig } from "../config/runtime-config.ts";
import type { RateLimitDecision, RateLimiter } from "./rate-limit-decision.ts";
import { createTokenBuckets } from "./token-buckets.ts";

export function createLocalRateLimiter(
  config: RateLimitConfig,
  options: { maxKeys?: number; now?: () => number } = {},
): RateLimiter {
  const now = options.now ?? Date.now;
  const tokensPerMs = config.requestsPerMinute / 60_000;
  const buckets = createTokenBuckets({
    capacity: config.burst,
    perMinute: config.requestsPerMinute,
    maxKeys: options.maxKeys ?? 10_000,
  });
  return {
    take: async (key): Promise<RateLimitDecision> => {
      const at = now();
      let tokens = buckets.tokens(key, at);
      const allowed = tokens >= 1;
      if (allowed) tokens -= 1;
      buckets.set(key, tokens, at);
      return {
        allowed,
        limit: config.burst,
        remaining: Math.floor(tokens),
        retryAfterMs: allowed ? 0 : Math.ceil((1 - tokens) / tokensPerMs),
        resetMs: Math.ceil((config.burst - tokens) / tokensPerMs),
      };
    },
  };
}
