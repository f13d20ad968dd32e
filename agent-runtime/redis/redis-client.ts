/**
 * The Redis connection. Tuned to fail fast instead of queueing: while Redis is away, commands
 * reject at once (no offline queue, no replay of in-flight commands) and a hung server costs at
 * most `commandTimeout`. Reconnection is automatic and endless; errors are logged, never thrown.
 */
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { RuntimeError } from "../errors.ts";

export function createRedisClient(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
    enableAutoPipelining: true,
    connectTimeout: 2000,
    // Back off to at most 1 s between reconnects, forever: the pod must recover on its own.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1000),
  });
  let healthy = true;
  let lastError: string | undefined;
  redis.on("ready", () => {
    if (!healthy) logger.info("redis connection restored");
    healthy = true;
  });
  // Without an "error" listener ioredis would crash the process; the outage is reported below.
  redis.on("error", (error: Error) => {
    lastError = error.message;
  });
  // "reconnecting" fires only for a lost connection (not for our own quit): one line per outage.
  redis.on("reconnecting", () => {
    if (healthy) logger.warn({ lastError }, "redis connection lost; reconnecting");
    healthy = false;
  });
  return redis;
}

export function isRedisReady(redis: Redis): boolean {
  return redis.status === "ready";
}

/** Converts any Redis failure into the typed 503 the client sees. */
export function redisUnavailable(cause: unknown): RuntimeError {
  if (cause instanceof RuntimeError) return cause;
  return new RuntimeError("REDIS_UNAVAILABLE", "session storage (Redis) is unavailable; retry shortly", {
    cause,
    retryAfterSeconds: 1,
  });
}

/** Runs a Redis operation, refusing at once when the connection is down. */
export async function withRedis<T>(redis: Redis, operation: () => Promise<T>): Promise<T> {
  if (!isRedisReady(redis)) throw redisUnavailable(new Error(`redis status is ${redis.status}`));
  try {
    return await operation();
  } catch (error) {
    throw redisUnavailable(error);
  }
}
