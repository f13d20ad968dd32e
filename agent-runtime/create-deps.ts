/** Wires the real IO (Redis, model endpoint, tools) from the parsed config. */
import type { Logger } from "pino";
import { createAuthenticator } from "./auth/authenticator.ts";
import { createResponseCache } from "./cache/response-cache.ts";
import type { RuntimeConfig } from "./config/runtime-config.ts";
import type { AppDeps } from "./deps.ts";
import { createReadinessChecker } from "./health/readiness.ts";
import { createModelClient } from "./llm/model-client.ts";
import { createSessionQuota } from "./memory/session-quota.ts";
import { createSessionStore } from "./memory/session-store.ts";
import { createMetrics } from "./observability/metrics.ts";
import { createAuthFailureLimiter } from "./ratelimit/auth-failure-limiter.ts";
import { createRateLimiter } from "./ratelimit/rate-limiter.ts";
import {
  CONNECT_TIMEOUT_MS,
  closeRedis,
  createRedisClient,
  type RedisClient,
  whenRedisReady,
} from "./redis/redis-client.ts";
import { createToolExecutor } from "./tools/tool-executor.ts";

export type Runtime = {
  deps: AppDeps;
  redis: RedisClient | undefined;
  /** Closes the backing connections; call after the HTTP server has drained. */
  close(): Promise<void>;
};

export function createDeps(
  config: RuntimeConfig,
  options: { logger: Logger; isDraining?: () => boolean; processMetrics?: boolean },
): Runtime {
  const { logger } = options;
  const metrics = createMetrics(config.revision, {
    processMetrics: options.processMetrics ?? true,
    agent: config.agent,
  });
  const { connection, waitReplicas } = config.redis;
  const redis = connection ? createRedisClient(connection, logger.child({ component: "redis" })) : undefined;
  const durableWriter =
    connection && waitReplicas > 0
      ? createRedisClient(connection, logger.child({ component: "redis", connection: "durable-writes" }))
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
      errorExcerptChars: config.tools.errorExcerptChars,
      metrics,
    }),
    authenticate: createAuthenticator(config.auth),
    sessions: redis
      ? createSessionStore(redis, {
          keyPrefix: prefix,
          ttlSeconds: config.memory.ttlSeconds,
          maxHistoryMessages: config.memory.maxHistoryMessages,
          maxHistoryBytes: config.memory.maxHistoryBytes,
          maxMessageBytes: config.memory.maxMessageBytes,
          ...(durableWriter ? { durableWrites: { replicas: waitReplicas, redis: durableWriter } } : {}),
        })
      : undefined,
    sessionQuota: redis
      ? createSessionQuota(redis, {
          keyPrefix: prefix,
          ttlSeconds: config.memory.ttlSeconds,
          maxSessionsPerCaller: config.memory.maxSessionsPerCaller,
        })
      : undefined,
    cache:
      redis && config.cache.ttlSeconds > 0
        ? createResponseCache(redis, { ttlSeconds: config.cache.ttlSeconds })
        : undefined,
    rateLimiter:
      redis && config.rateLimit
        ? createRateLimiter(redis, config.rateLimit, prefix, logger.child({ component: "ratelimit" }))
        : undefined,
    authFailures: config.authFailureLimit ? createAuthFailureLimiter(config.authFailureLimit) : undefined,
    readiness: createReadinessChecker({
      redis,
      model,
      checkModel: config.provider.readinessCheck,
      isDraining: options.isDraining ?? (() => false),
      // Ready once connected, or once the first attempt failed: a Redis outage must not hold pods back.
      startup: redis ? whenRedisReady(redis, CONNECT_TIMEOUT_MS).catch(() => {}) : undefined,
      metrics,
      logger: logger.child({ component: "readiness" }),
    }),
  };
  return {
    deps,
    redis,
    async close() {
      await model.close();
      await Promise.all([redis, durableWriter].map((client) => (client ? closeRedis(client) : undefined)));
    },
  };
}
