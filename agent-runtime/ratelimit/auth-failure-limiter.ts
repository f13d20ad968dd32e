/**
 * Limits failed authentication per client address, before credentials are checked: each failure
 * takes a token from the source's bucket, and a source with an empty bucket gets 429 without its
 * credential being looked at, so guessing keys and flooding the token check cost little. Kept per
 * replica (a bounded table in memory): across N replicas a source gets up to N times the limit.
 */
import type { AuthFailureLimitConfig } from "../config.ts";

export type AuthFailureLimiter = {
  /** Milliseconds this source must wait before its credentials are checked again; 0 when it may try. */
  blockedForMs(source: string): number;
  recordFailure(source: string): void;
};

type Bucket = { tokens: number; at: number };

export function createAuthFailureLimiter(
  config: AuthFailureLimitConfig,
  options: { maxSources?: number; now?: () => number } = {},
): AuthFailureLimiter {
  const maxSources = options.maxSources ?? 10_000;
  const now = options.now ?? Date.now;
  const tokensPerMs = config.failuresPerMinute / 60_000;
  const buckets = new Map<string, Bucket>();
  const tokensOf = (source: string, at: number) => {
    const bucket = buckets.get(source);
    return bucket ? Math.min(config.burst, bucket.tokens + (at - bucket.at) * tokensPerMs) : config.burst;
  };
  return {
    blockedForMs(source) {
      const tokens = tokensOf(source, now());
      return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / tokensPerMs);
    },
    recordFailure(source) {
      const at = now();
      const tokens = Math.max(0, tokensOf(source, at) - 1);
      // Re-inserted so the Map's order is least recently failed first: that one is dropped.
      buckets.delete(source);
      buckets.set(source, { tokens, at });
      if (buckets.size > maxSources) buckets.delete(buckets.keys().next().value as string);
    },
  };
}
