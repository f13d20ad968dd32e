/**
 * The runtime's Redis connection (see `redis-connection.ts`). Tuned to fail fast instead of
 * queueing: while Redis is away, commands reject at once and a hung server costs at most the
 * command timeout. Reconnection is automatic and endless; an outage is logged once when it
 * starts and once when it ends, never thrown.
 */
import type { Logger } from "pino";
import { RuntimeError } from "../errors.ts";
import { createRedisConnection, type RedisConnection } from "./redis-connection.ts";

export type { RedisConnection } from "./redis-connection.ts";

export function createRedisClient(url: string, logger: Logger): RedisConnection {
  let healthy = true;
  return createRedisConnection(url, {
    connectTimeoutMs: 2000,
    commandTimeoutMs: 1000,
    onStatus: (status, lastError) => {
      if (status === "ready") {
        if (!healthy) logger.info("redis connection restored");
        healthy = true;
      } else if (status === "reconnecting") {
        // One line per outage, not one per reconnection attempt.
        if (healthy) logger.warn({ lastError }, "redis connection lost; reconnecting");
        healthy = false;
      }
    },
  });
}

export function isRedisReady(redis: RedisConnection): boolean {
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
export async function withRedis<T>(redis: RedisConnection, operation: () => Promise<T>): Promise<T> {
  if (!isRedisReady(redis)) throw redisUnavailable(new Error(`redis status is ${redis.status}`));
  try {
    return await operation();
  } catch (error) {
    throw redisUnavailable(error);
  }
}
