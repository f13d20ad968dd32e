/**
 * Limits failed authentication per client address, before credentials are checked: each failure
 * takes a token from the source's bucket, and a source with an empty bucket gets 429 without its
 * credential being looked at, so guessing keys and flooding the token check cost little. Kept per
 * replica (a bounded table in memory): across N replicas a source gets up to N times the limit.
 */
import type { AuthFailureLimitConfig } from "../config/runtime-config.ts";
import { createTokenBuckets } from "./token-buckets.ts";

export type AuthFailureLimiter = {
  /** Milliseconds this source must wait before its credentials are checked again; 0 when it may try. */
  blockedForMs(source: string): number;
  recordFailure(source: string): void;
};

export function createAuthFailureLimiter(
  config: AuthFailureLimitConfig,
  options: { maxSources?: number; now?: () => number } = {},
): AuthFailureLimiter {
  const now = options.now ?? Date.now;
  const tokensPerMs = config.failuresPerMinute / 60_000;
  const buckets = createTokenBuckets({
    capacity: config.burst,
    perMinute: config.failuresPerMinute,
    maxKeys: options.maxSources ?? 10_000,
  });
  return {
    blockedForMs(source) {
      const tokens = buckets.tokens(source, now());
      return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / tokensPerMs);
    },
    recordFailure(source) {
      const at = now();
      buckets.set(source, Math.max(0, buckets.tokens(source, at) - 1), at);
    },
  };
}
