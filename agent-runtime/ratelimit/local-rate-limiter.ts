/**
 * The same token bucket as the Redis one, kept in this process: the fallback while Redis is
 * unavailable. Each replica then enforces the configured limit on its own, so across N replicas
 * a client may get up to N times the limit until Redis is back. The table is bounded: the least
 * recently used buckets are dropped first (a dropped bucket starts full, as a new client's would).
 */
import type { RateLimitConfig } from "../config.ts";
import type { RateLimitDecision, RateLimiter } from "./rate-limiter.ts";

type Bucket = { tokens: number; at: number };

export function createLocalRateLimiter(
  config: RateLimitConfig,
  options: { maxKeys?: number; now?: () => number } = {},
): RateLimiter {
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  const tokensPerMs = config.requestsPerMinute / 60_000;
  const buckets = new Map<string, Bucket>();
  return {
    take: async (key): Promise<RateLimitDecision> => {
      const at = now();
      const previous = buckets.get(key);
      buckets.delete(key);
      let tokens = previous
        ? Math.min(config.burst, previous.tokens + Math.max(0, at - previous.at) * tokensPerMs)
        : config.burst;
      const allowed = tokens >= 1;
      if (allowed) tokens -= 1;
      buckets.set(key, { tokens, at });
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
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
