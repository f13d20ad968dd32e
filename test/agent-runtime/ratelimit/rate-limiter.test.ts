import { randomUUID } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRateLimiter } from "../../../agent-runtime/ratelimit/rate-limiter.ts";
import {
  createRedisClient,
  type RedisClient,
  whenRedisReady,
} from "../../../agent-runtime/redis/redis-client.ts";
import {
  type RedisServerHandle,
  redisServerAvailable,
  startRedisServer,
} from "../../support/redis-server.ts";

const available = redisServerAvailable("rate limiter (ratelimit/rate-limiter)");

describe.skipIf(!available)("rate limiter on a real Redis", () => {
  let server: RedisServerHandle;
  const clients: RedisClient[] = [];
  const silent = pino({ level: "silent" });

  async function client(): Promise<RedisClient> {
    const redis = createRedisClient({ mode: "standalone", url: server.url }, silent);
    clients.push(redis);
    await whenRedisReady(redis);
    return redis;
  }

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const redis of clients) redis.disconnect();
    await server?.stop();
  });

  it("allows the burst, then refuses with the time until the next token", async () => {
    const limiter = createRateLimiter(
      await client(),
      { requestsPerMinute: 60, burst: 3, key: "client" },
      `t:${randomUUID()}:`,
      silent,
    );
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.take("alice"));
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((decision) => decision.remaining)).toEqual([2, 1, 0, 0]);
    const refused = decisions[3];
    expect(refused?.retryAfterMs).toBeGreaterThan(900);
    expect(refused?.retryAfterMs).toBeLessThanOrEqual(1000);
  });

  it("refills at the configured rate", async () => {
    // 600 rpm = one token per 100 ms.
    const limiter = createRateLimiter(
      await client(),
      { requestsPerMinute: 600, burst: 1, key: "client" },
      `t:${randomUUID()}:`,
      silent,
    );
    expect((await limiter.take("bob")).allowed).toBe(true);
    expect((await limiter.take("bob")).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await limiter.take("bob")).allowed).toBe(true);
  });

  it("keeps separate buckets per key", async () => {
    const limiter = createRateLimiter(
      await client(),
      { requestsPerMinute: 1, burst: 1, key: "client" },
      `t:${randomUUID()}:`,
      silent,
    );
    expect((await limiter.take("a")).allowed).toBe(true);
    expect((await limiter.take("b")).allowed).toBe(true);
    expect((await limiter.take("a")).allowed).toBe(false);
  });

  it("shares one bucket between connections (replicas), even under concurrency", async () => {
    const prefix = `t:${randomUUID()}:`;
    const config = { requestsPerMinute: 1, burst: 10, key: "client" as const };
    const replicas = [
      createRateLimiter(await client(), config, prefix, silent),
      createRateLimiter(await client(), config, prefix, silent),
    ];
    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (replicas[i % 2] ?? replicas[0])?.take("shared")),
    );
    expect(decisions.filter((decision) => decision?.allowed)).toHaveLength(10);
  });
});

describe.skipIf(!available)("rate limiter while Redis is down", () => {
  it("fails open to a per-replica bucket, logs the switch once each way, and shares again after", async () => {
    const server = await startRedisServer();
    const lines: { msg: string }[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const redis = createRedisClient({ mode: "standalone", url: server.url }, pino({ level: "silent" }));
    try {
      await whenRedisReady(redis);
      const config = { requestsPerMinute: 1, burst: 2, key: "client" as const };
      const limiter = createRateLimiter(redis, config, `t:${randomUUID()}:`, logger);
      expect((await limiter.take("k")).allowed).toBe(true);

      await server.kill();
      await expect.poll(() => redis.status).not.toBe("ready");
      const started = performance.now();
      const local = [await limiter.take("k"), await limiter.take("k"), await limiter.take("k")];
      expect(performance.now() - started).toBeLessThan(200);
      // The local bucket starts full: the burst again, then refusals.
      expect(local.map((decision) => decision.allowed)).toEqual([true, true, false]);
      expect(lines.filter((line) => line.msg.startsWith("rate limit falls back"))).toHaveLength(1);

      await server.restart();
      await whenRedisReady(redis, 10_000);
      // Redis restarted empty: the shared bucket is full again.
      expect((await limiter.take("k")).allowed).toBe(true);
      expect(lines.map((line) => line.msg)).toContain("rate limit shared through Redis again");
    } finally {
      redis.disconnect();
      await server.stop();
    }
  }, 20_000);
});
