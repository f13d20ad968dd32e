import { randomUUID } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRateLimiter } from "../../../agent-runtime/ratelimit/rate-limiter.ts";
import { createRedisClient, type RedisConnection } from "../../../agent-runtime/redis/redis-client.ts";
import {
  type RedisServerHandle,
  redisServerAvailable,
  startRedisServer,
} from "../../support/redis-server.ts";

const available = redisServerAvailable("rate limiter (ratelimit/rate-limiter)");

describe.skipIf(!available)("rate limiter on a real Redis", () => {
  let server: RedisServerHandle;
  const clients: RedisConnection[] = [];

  async function client(): Promise<RedisConnection> {
    const redis = createRedisClient(server.url, pino({ level: "silent" }));
    clients.push(redis);
    await redis.ready();
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
    );
    expect((await limiter.take("a")).allowed).toBe(true);
    expect((await limiter.take("b")).allowed).toBe(true);
    expect((await limiter.take("a")).allowed).toBe(false);
  });

  it("shares one bucket between connections (replicas), even under concurrency", async () => {
    const prefix = `t:${randomUUID()}:`;
    const config = { requestsPerMinute: 1, burst: 10, key: "client" as const };
    const replicas = [
      createRateLimiter(await client(), config, prefix),
      createRateLimiter(await client(), config, prefix),
    ];
    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (replicas[i % 2] ?? replicas[0])?.take("shared")),
    );
    expect(decisions.filter((decision) => decision?.allowed)).toHaveLength(10);
  });
});
