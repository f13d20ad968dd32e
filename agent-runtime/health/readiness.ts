/**
 * `/readyz`: ready only when Redis answers, the model endpoint answers (checked without spending
 * tokens, at most every few seconds so probes don't hammer the provider), the circuit breaker is
 * not open, and the process is not draining.
 */

import type { ModelClient, ProbeResult } from "../llm/model-client.ts";
import type { RedisConnection } from "../redis/redis-client.ts";

export type CheckResult = { ok: boolean; detail: string };
export type ReadinessReport = { ready: boolean; checks: Record<string, CheckResult> };

export type ReadinessOptions = {
  redis: RedisConnection | undefined;
  model: ModelClient;
  checkModel: boolean;
  isDraining: () => boolean;
  modelProbeTtlMs?: number;
  now?: () => number;
};

export function summarize(checks: Record<string, CheckResult>): ReadinessReport {
  return { ready: Object.values(checks).every((check) => check.ok), checks };
}

async function pingRedis(redis: RedisConnection, timeoutMs: number): Promise<CheckResult> {
  if (redis.status !== "ready") return { ok: false, detail: `redis is ${redis.status}` };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no PONG within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([redis.call("PING"), timeout]);
    return { ok: true, detail: "PONG" };
  } catch (error) {
    return { ok: false, detail: `redis ping failed: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

export function createReadinessChecker(options: ReadinessOptions): () => Promise<ReadinessReport> {
  const now = options.now ?? Date.now;
  const ttl = options.modelProbeTtlMs ?? 5000;
  let cached: { at: number; result: Promise<ProbeResult> } | undefined;
  const probeModel = () => {
    if (!cached || now() - cached.at >= ttl) cached = { at: now(), result: options.model.probe(2000) };
    return cached.result;
  };

  return async () => {
    const checks: Record<string, CheckResult> = {};
    const [redis, model] = await Promise.all([
      options.redis ? pingRedis(options.redis, 500) : undefined,
      options.checkModel ? probeModel() : undefined,
    ]);
    if (redis) checks.redis = redis;
    if (model) checks.model = model;
    const breaker = options.model.breaker();
    checks.circuitBreaker =
      breaker.state === "open"
        ? { ok: false, detail: `open; next trial call in ${Math.ceil(breaker.retryAfterMs / 1000)} s` }
        : { ok: true, detail: breaker.state };
    if (options.isDraining()) checks.lifecycle = { ok: false, detail: "shutting down" };
    return summarize(checks);
  };
}
