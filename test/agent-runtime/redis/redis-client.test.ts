import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRedisClient,
  isFailoverError,
  reconnectDelayMs,
  redisOptionsOf,
  whenRedisReady,
  withRedis,
} from "../../../agent-runtime/redis/redis-client.ts";
import {
  type RedisServerHandle,
  redisServerAvailable,
  startRedisServer,
} from "../../support/redis-server.ts";

describe("redis client options", () => {
  it("backs off from 50 ms to at most 1 s between reconnection attempts", () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(reconnectDelayMs)).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
  });

  it("fails fast in every mode: no offline queue, a command timeout, keepalive, READONLY reconnects", () => {
    const sentinel = redisOptionsOf({
      mode: "sentinel",
      masterName: "m",
      sentinels: [{ host: "s", port: 26379 }],
      sentinelPassword: "sp",
      username: undefined,
      password: "p",
      tls: true,
    }).sentinel;
    expect(sentinel).toMatchObject({
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      commandTimeout: 1000,
      keepAlive: 10_000,
      name: "m",
      sentinelPassword: "sp",
      password: "p",
      failoverDetector: true,
      enableTLSForSentinelMode: true,
    });
    const cluster = redisOptionsOf({
      mode: "cluster",
      nodes: [{ host: "n", port: 6379 }],
      username: "u",
      password: "p",
      tls: false,
    }).cluster;
    expect(cluster?.options).toMatchObject({
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      redisOptions: { commandTimeout: 1000, keepAlive: 10_000, username: "u", password: "p" },
    });
    expect(cluster?.options.redisOptions?.tls).toBeUndefined();
    expect(isFailoverError(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(isFailoverError(new Error("WRONGTYPE Operation against a key"))).toBe(false);
  });
});

const available = redisServerAvailable("redis client (redis/redis-client)");

describe.skipIf(!available)("redis client on a real master and replica", () => {
  let master: RedisServerHandle;
  let replica: RedisServerHandle;
  beforeAll(async () => {
    master = await startRedisServer();
    replica = await startRedisServer({ extraArgs: ["--replicaof", "127.0.0.1", String(master.port)] });
  });
  afterAll(async () => {
    await replica?.stop();
    await master?.stop();
  });

  it("drops the connection on READONLY (a demoted master) so it reconnects, and the write fails as 503", async () => {
    const lines: { msg: string }[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const redis = createRedisClient({ mode: "standalone", url: replica.url }, logger);
    try {
      await whenRedisReady(redis);
      let reconnecting = false;
      redis.once("reconnecting", () => {
        reconnecting = true;
      });
      await expect(withRedis(redis, () => redis.set("k", "v"))).rejects.toMatchObject({
        code: "REDIS_UNAVAILABLE",
      });
      await expect.poll(() => reconnecting).toBe(true);
      await whenRedisReady(redis);
      await expect.poll(() => lines.map((line) => line.msg)).toContain("redis connection restored");
    } finally {
      redis.disconnect();
    }
  });
});
