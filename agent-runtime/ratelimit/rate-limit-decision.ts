/** What every rate limiter answers, shared (Redis) or per replica. */
export type RateLimitDecision = {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until one token is available (0 when allowed). */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
};

export type RateLimiter = { take(key: string): Promise<RateLimitDecision> };
