/** Retry timing for model calls: exponential backoff with full jitter, unless the provider says when. */

export type RetryPolicy = {
  /** First backoff step; attempt n waits up to baseMs * 2^n. */
  baseMs: number;
  /** Longest wait worth spending inside one request; a longer Retry-After means "give up now". */
  maxMs: number;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 200, maxMs: 10_000 };

/**
 * Reads `retry-after-ms` (OpenAI's extension) or `Retry-After` (seconds or an HTTP date).
 * Returns milliseconds, or undefined when absent or unreadable.
 */
export function parseRetryAfterMs(
  retryAfter: string | null | undefined,
  retryAfterMs: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (retryAfterMs) {
    const ms = Number(retryAfterMs);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(retryAfter);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * How long to wait before retry number `attempt` (0-based), or undefined to stop retrying.
 *
 * With a Retry-After hint we wait that long plus up to 10% jitter (so replicas told the same
 * instant do not stampede together); a hint beyond `maxMs` stops the retries, because holding
 * the client's request that long is worse than telling it to come back.
 * Without a hint: full jitter, `random() * min(maxMs, baseMs * 2^attempt)`.
 * Example (baseMs 200): attempt 0 waits 0-200 ms, attempt 1 0-400 ms, attempt 2 0-800 ms.
 */
export function computeRetryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
  random: () => number,
): number | undefined {
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > policy.maxMs) return undefined;
    return Math.min(policy.maxMs, retryAfterMs + random() * retryAfterMs * 0.1);
  }
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return random() * ceiling;
}
