/**
 * The runtime's Redis client (ioredis), for one server by URL, a Sentinel-managed master or a
 * Cluster. Tuned to fail fast instead of queueing: while Redis is away, commands reject at once
 * (no offline queue) and a hung server costs at most the command timeout. Reconnection is
 * automatic and endless, with backoff; a READONLY reply (our master was demoted by a failover)
 * drops the connection so it reconnects to the new master. An outage is logged once when it
 * starts and once when it ends, never thrown.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import type { RedisConnectionConfig } from "../config/runtime-config.ts";
import { RuntimeError } from "../errors.ts";

export type RedisClient = Redis | Cluster;

export const CONNECT_TIMEOUT_MS = 2000;
export const COMMAND_TIMEOUT_MS = 1000;
/** TCP keepalive probes after this much idle time: a peer that vanished is noticed. */
const KEEPALIVE_MS = 10_000;

/** 50 ms after a loss, doubling up to 1 s between attempts, forever. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(0, attempt - 1), 1000);
}

/** A write refused by a replica means a failover moved the master: reconnect to the new one. */
export function isFailoverError(error: Error): boolean {
  return error.message.startsWith("READONLY");
}

const connectionOptions = {
  connectTimeout: CONNECT_TIMEOUT_MS,
  commandTimeout: COMMAND_TIMEOUT_MS,
  keepAlive: KEEPALIVE_MS,
  noDelay: true,
  enableOfflineQueue: false,
  retryStrategy: reconnectDelayMs,
  reconnectOnError: isFailoverError,
} satisfies RedisOptions;

/** The ioredis options of a mode; exported for tests of the mapping. */
export function redisOptionsOf(config: RedisConnectionConfig): {
  standalone?: { url: string; options: RedisOptions };
  sentinel?: RedisOptions;
  cluster?: { nodes: { host: string; port: number }[]; options: ClusterOptions };
} {
  switch (config.mode) {
    case "standalone":
      return {
        standalone: { url: config.url, options: { ...connectionOptions, enableAutoPipelining: true } },
      };
    case "sentinel":
      return {
        sentinel: {
          ...connectionOptions,
          enableAutoPipelining: true,
          sentinels: config.sentinels,
          name: config.masterName,
          sentinelPassword: config.sentinelPassword,
          username: config.username,
          password: config.password,
          sentinelRetryStrategy: reconnectDelayMs,
          sentinelCommandTimeout: COMMAND_TIMEOUT_MS,
          // Subscribes to +switch-master, so a failover is followed even while the old master answers.
          failoverDetector: true,
          ...(config.tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
        },
      };
    case "cluster":
      return {
        cluster: {
          nodes: config.nodes,
          options: {
            enableAutoPipelining: true,
            enableOfflineQueue: false,
            clusterRetryStrategy: reconnectDelayMs,
            redisOptions: {
              ...connectionOptions,
              username: config.username,
              password: config.password,
              ...(config.tls ? { tls: {} } : {}),
            },
            // Managed clusters announce IPs whose certificates name the host given: keep it for TLS.
            ...(config.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
          },
        },
      };
  }
}

function connect(config: RedisConnectionConfig): RedisClient {
  const { standalone, sentinel, cluster } = redisOptionsOf(config);
  if (standalone) return new Redis(standalone.url, standalone.options);
  if (sentinel) return new Redis(sentinel);
  if (cluster) return new Cluster(cluster.nodes, cluster.options);
  throw new Error("unknown Redis mode");
}

/** Connects; logs each change between usable and not once. */
export function createRedisClient(config: RedisConnectionConfig, logger: Logger): RedisClient {
  const redis = connect(config);
  let healthy: boolean | undefined;
  let lastError: string | undefined;
  const lost = () => {
    // One line per outage, not one per reconnection attempt.
    if (healthy !== false)
      logger.warn({ lastError, mode: config.mode }, "redis connection lost; reconnecting");
    healthy = false;
  };
  redis.on("error", (error: Error) => {
    lastError = error.message;
  });
  redis.on("node error", (error: Error) => {
    lastError = error.message;
  });
  redis.on("ready", () => {
    if (healthy === false) logger.info({ mode: config.mode }, "redis connection restored");
    healthy = true;
    lastError = undefined;
  });
  redis.on("reconnecting", lost);
  redis.on("close", () => {
    if (redis.status !== "end") lost();
  });
  return redis;
}

export function isRedisReady(redis: RedisClient): boolean {
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
export async function withRedis<T>(redis: RedisClient, operation: () => Promise<T>): Promise<T> {
  if (!isRedisReady(redis)) throw redisUnavailable(new Error(`redis status is ${redis.status}`));
  try {
    return await operation();
  } catch (error) {
    throw redisUnavailable(error);
  }
}

/** Closes gracefully (QUIT), or at once when that fails. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/** Resolves once the client is ready (at once if it is); rejects after `timeoutMs` or when it ends. */
export function whenRedisReady(redis: RedisClient, timeoutMs = 5000): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      redis.off("end", onEnd);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(new Error("redis connection ended"));
    const timer = setTimeout(() => done(new Error(`redis not ready within ${timeoutMs} ms`)), timeoutMs);
    redis.once("ready", onReady);
    redis.once("end", onEnd);
  });
}
