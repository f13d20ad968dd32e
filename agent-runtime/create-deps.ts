/** Wires the real IO (Redis, model endpoint, tools) from the parsed config. */
import type { Logger } from "pino";
import { createAuthenticator } from "./auth/authenticator.ts";
import { createResponseCache } from "./cache/response-cache.ts";
import type { RuntimeConfig } from "./config.ts";
import type { AppDeps } from "./deps.ts";
import { createReadinessChecker } from "./health/readiness.ts";
import { createModelClient } from "./llm/model-client.ts";
import { createSessionStore } from "./memory/session-store.ts";
import { createMetrics } from "./observability/metrics.ts";
import { createRateLimiter } from "./ratelimit/rate-limiter.ts";
import { createRedisClient, type RedisConnection } from "./redis/redis-client.ts";
import { createToolExecutor } from "./tools/tool-executor.ts";

export type Runtime = {
  deps: AppDeps;
  redis: RedisConnection | undefined;
  /** Closes the backing connections; call after the HTTP server has drained. */
  close(): Promise<void>;
};

export function createDeps(
  config: RuntimeConfig,
  options: { logger: Logger; isDraining?: () => boolean; processMetrics?: boolean },
): Runtime {
  const { logger } = options;
  const metrics = createMetrics(config.revision, { processMetrics: options.processMetrics ?? true });
  const redis = config.redis.url
    ? createRedisClient(config.redis.url, logger.child({ component: "redis" }))
    : undefined;
  const model = createModelClient({
    provider: config.provider,
    timeoutMs: config.provider.timeoutMs,
    maxRetries: config.provider.maxRetries,
    maxConnections: config.provider.maxConnections,
    maxResponseBytes: config.provider.maxResponseBytes,
    proxy: config.provider.proxy,
    breaker: config.provider.breaker,
    metrics,
  });
  const prefix = config.redis.keyPrefix;
  const deps: AppDeps = {
    config,
    logger,
    metrics,
    model,
    tools: createToolExecutor(config.tools.definitions, {
      defaultTimeoutMs: config.tools.defaultTimeoutMs,
      metrics,
    }),
    authenticate: createAuthenticator(config.auth),
    sessions: redis
      ? createSessionStore(redis, {
          keyPrefix: prefix,
          ttlSeconds: config.memory.ttlSeconds,
          maxHistoryMessages: config.memory.maxHistoryMessages,
        })
      : undefined,
    cache:
      redis && config.cache.ttlSeconds > 0
        ? createResponseCache(redis, { ttlSeconds: config.cache.ttlSeconds })
        : undefined,
    rateLimiter: redis && config.rateLimit ? createRateLimiter(redis, config.rateLimit, prefix) : undefined,
    readiness: createReadinessChecker({
      redis,
      model,
      checkModel: config.provider.readinessCheck,
      isDraining: options.isDraining ?? (() => false),
    }),
  };
  return {
    deps,
    redis,
    async close() {
      await model.close();
      if (!redis) return;
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}
