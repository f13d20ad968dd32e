/**
 * A work queue with client-go's semantics: a key is queued at most once however often it is
 * added, is never handed to two workers at once (a key added while it is being processed is
 * queued again when `done` is called), and failed keys come back with per-key exponential
 * backoff (5 ms doubling to 1000 s) under an overall token bucket (10 per second, burst 100).
 */
export interface RateLimiterOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  ratePerSecond: number;
  burst: number;
}

export const DEFAULT_RATE_LIMITS: RateLimiterOptions = {
  baseDelayMs: 5,
  maxDelayMs: 1_000_000,
  ratePerSecond: 10,
  burst: 100,
};

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  /** Keys being processed, with when their worker took them (the queue's clock). */
  private readonly processing = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly limits: RateLimiterOptions;
  private tokens: number;
  private tokensAt: number;
  private shuttingDown = false;
  private readonly now: () => number;

  constructor(limits: Partial<RateLimiterOptions> = {}, now: () => number = () => Date.now()) {
    this.limits = { ...DEFAULT_RATE_LIMITS, ...limits };
    this.tokens = this.limits.burst;
    this.now = now;
    this.tokensAt = now();
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.set(key, this.now());
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Adds the key after `delayMs`; an earlier pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const pending = this.timers.get(key);
    if (pending) {
      const due = (pending as NodeJS.Timeout & { dueAt?: number }).dueAt ?? 0;
      if (due <= this.now() + delayMs) return;
      clearTimeout(pending);
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs) as NodeJS.Timeout & { dueAt?: number };
    timer.dueAt = this.now() + delayMs;
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Requeues a failed key after its backoff (and the overall rate limit). */
  addRateLimited(key: string): number {
    const delay = this.backoffFor(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its backoff starts from the base delay again. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /**
   * Waits for the next key; undefined once the queue shuts down and is empty. A key that is already
   * waiting is handed out on the next turn of the event loop, not at once: workers whose reconciles
   * need no I/O (every agent converged, a resync queued them all) would otherwise run key after key
   * in one chain of promise callbacks and starve watches, probes and Lease renewals until the
   * queue is empty.
   */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.set(key, this.now());
      return new Promise((resolve) => setImmediate(resolve, key));
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  /**
   * Milliseconds the longest-running key has been with its worker, 0 when none is: a worker stuck
   * on a request that never ends shows here even while no other key waits (client-go's
   * workqueue_longest_running_processor_seconds).
   */
  longestProcessingMs(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const since of this.processing.values()) oldest = Math.min(oldest, since);
    return Number.isFinite(oldest) ? Math.max(0, this.now() - oldest) : 0;
  }

  /** Keys waiting to be processed (not counting delayed ones). */
  get length(): number {
    return this.queue.length;
  }

  /** max(per-key exponential backoff, overall token bucket). */
  private backoffFor(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const perKey = Math.min(this.limits.maxDelayMs, this.limits.baseDelayMs * 2 ** failures);
    return Math.max(perKey, this.takeToken());
  }

  /** Delay until the overall bucket has a token for this retry. */
  private takeToken(): number {
    const now = this.now();
    const refill = ((now - this.tokensAt) / 1000) * this.limits.ratePerSecond;
    this.tokens = Math.min(this.limits.burst, this.tokens + refill);
    this.tokensAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.limits.ratePerSecond) * 1000);
  }
}
