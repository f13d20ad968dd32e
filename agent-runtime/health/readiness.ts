/**
 * `/readyz` says whether this pod can take traffic: it has started (its first attempt to reach
 * Redis has ended, whatever the outcome, so a new pod does not take turns it would refuse only
 * because it is still connecting) and is not draining. Redis and
 * the model endpoint are shared by every replica, so their outage would take every pod out of the
 * Service at once; instead they degrade the service (stateless turns keep working, stateful ones
 * fail fast with 503) and their state is reported: in `/readyz?verbose`, in the
 * `agentry_dependency_up` gauge and in the logs, once per change.
 *
 * The model endpoint is checked without spending tokens, at most every few seconds so probes and
 * scrapes don't hammer the provider.
 */
import type { Logger } from "pino";
import type { ModelClient, ProbeResult } from "../llm/model-calls.ts";
import type { RuntimeMetrics } from "../observability/metrics.ts";
import type { RedisClient } from "../redis/redis-client.ts";

export type CheckResult = { ok: boolean; detail: string };
export type ReadinessReport = { ready: boolean; checks: Record<string, CheckResult> };
export type Readiness = (options?: { verbose?: boolean }) => Promise<ReadinessReport>;

export type ReadinessOptions = {
  redis: RedisClient | undefined;
  model: ModelClient;
  checkModel: boolean;
  isDraining: () => boolean;
  /** Settles once start-up is over (the first attempt to reach Redis has ended); until then not ready. */
  startup?: Promise<unknown>;
  metrics?: RuntimeMetrics;
  logger?: Logger;
  modelProbeTtlMs?: number;
  now?: () => number;
};

async function pingRedis(redis: RedisClient, timeoutMs: number): Promise<CheckResult> {
  if (redis.status !== "ready") return { ok: false, detail: `redis is ${redis.status}` };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no PONG within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([redis.ping(), timeout]);
    return { ok: true, detail: "PONG" };
  } catch (error) {
    return { ok: false, detail: `redis ping failed: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

function breakerCheck(model: ModelClient): CheckResult {
  const breaker = model.breaker();
  return breaker.state === "open"
    ? { ok: false, detail: `open; next trial call in ${Math.ceil(breaker.retryAfterMs / 1000)} s` }
    : { ok: true, detail: breaker.state };
}

export function createReadinessChecker(options: ReadinessOptions): Readiness {
  const now = options.now ?? Date.now;
  const ttl = options.modelProbeTtlMs ?? 5000;
  let cached: { at: number; result: Promise<ProbeResult> } | undefined;
  let modelWasOk: boolean | undefined;
  const probeModel = () => {
    if (!cached || now() - cached.at >= ttl) {
      const result = options.model.probe(2000).then((probe) => {
        if (probe.ok !== modelWasOk && options.logger) {
          if (!probe.ok) options.logger.warn({ detail: probe.detail }, "model endpoint unavailable");
          else if (modelWasOk === false) options.logger.info("model endpoint available again");
        }
        modelWasOk = probe.ok;
        return probe;
      });
      cached = { at: now(), result };
    }
    return cached.result;
  };

  // The gauge is computed when scraped; the model probe result is shared with /readyz?verbose.
  options.metrics?.dependencyUp.collectWith(async () => {
    const up: Record<string, boolean> = {};
    if (options.redis) up.redis = options.redis.status === "ready";
    const model = options.checkModel ? (await probeModel()).ok : true;
    up.model = model && options.model.breaker().state !== "open";
    return up;
  });

  let started = options.startup === undefined;
  void options.startup?.finally(() => {
    started = true;
  });

  return async ({ verbose = false } = {}) => {
    const lifecycle: CheckResult = options.isDraining()
      ? { ok: false, detail: "shutting down" }
      : started
        ? { ok: true, detail: "serving" }
        : { ok: false, detail: "starting" };
    if (!verbose) return { ready: lifecycle.ok, checks: { lifecycle } };
    const checks: Record<string, CheckResult> = {};
    const [redis, model] = await Promise.all([
      options.redis ? pingRedis(options.redis, 500) : undefined,
      options.checkModel ? probeModel() : undefined,
    ]);
    if (redis) checks.redis = redis;
    if (model) checks.model = model;
    checks.circuitBreaker = breakerCheck(options.model);
    checks.lifecycle = lifecycle;
    return { ready: lifecycle.ok, checks };
  };
}
