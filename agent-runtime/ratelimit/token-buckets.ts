/**
 * Token buckets kept in this process, one per key, in a bounded table: the least recently used
 * bucket is dropped first (a dropped bucket starts full again, as a new key's would).
 */
export type TokenBuckets = {
  /** Tokens the key's bucket holds at `at` (ms), refilled since it was last written; full when unknown. */
  tokens(key: string, at: number): number;
  /** Stores the key's tokens as of `at`, and marks it the most recently used. */
  set(key: string, tokens: number, at: number): void;
};

export function createTokenBuckets(options: {
  capacity: number;
  perMinute: number;
  maxKeys: number;
}): TokenBuckets {
  const perMs = options.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    tokens(key, at) {
      const bucket = buckets.get(key);
      if (!bucket) return options.capacity;
      return Math.min(options.capacity, bucket.tokens + Math.max(0, at - bucket.at) * perMs);
    },
    set(key, tokens, at) {
      // Re-inserted so the Map's order is least recently used first: that one is dropped.
      buckets.delete(key);
      buckets.set(key, { tokens, at });
      if (buckets.size > options.maxKeys) buckets.delete(buckets.keys().next().value as string);
    },
  };
}
