import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSessionStore,
  parseHistory,
  type SessionHistory,
} from "../../../agent-runtime/memory/session-store.ts";
import { createRedisClient, type RedisConnection } from "../../../agent-runtime/redis/redis-client.ts";
import {
  type RedisServerHandle,
  redisServerAvailable,
  startRedisServer,
} from "../../support/redis-server.ts";

const contents = (history: SessionHistory) => parseHistory(history).map((message) => message.content);

const available = redisServerAvailable("session store (memory/session-store)");

describe.skipIf(!available)("session store on a real Redis", () => {
  let server: RedisServerHandle;
  let redis: RedisConnection;
  let inspector: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = createRedisClient(server.url, pino({ level: "silent" }));
    inspector = new Redis(server.url);
    await redis.ready();
  });
  afterAll(async () => {
    redis?.disconnect();
    inspector?.disconnect();
    await server?.stop();
  });

  const store = (maxHistoryMessages = 50, ttlSeconds = 3600) =>
    createSessionStore(redis, { keyPrefix: `t:${randomUUID()}:`, ttlSeconds, maxHistoryMessages });

  it("returns turns in order", async () => {
    const sessions = store();
    await sessions.appendTurn("s", [
      { role: "user", content: "q1" },
      { role: "assistant", content: "a1" },
    ]);
    await sessions.appendTurn("s", [
      { role: "user", content: "q2" },
      { role: "assistant", content: "a2" },
    ]);
    expect(contents(await sessions.load("s"))).toEqual(["q1", "a1", "q2", "a2"]);
    expect(await sessions.load("other")).toBe("");
  });

  it("trims to maxHistoryMessages, dropping the oldest", async () => {
    const sessions = store(3);
    for (let turn = 1; turn <= 3; turn++) {
      await sessions.appendTurn("s", [
        { role: "user", content: `q${turn}` },
        { role: "assistant", content: `a${turn}` },
      ]);
    }
    // The last 3 are a2, q3, a3; a2 lost its question, so it is not replayed.
    expect(contents(await sessions.load("s"))).toEqual(["q3", "a3"]);
  });

  it("trims by message, whatever bytes the messages hold", async () => {
    const sessions = store(4);
    const texts = ['a, "quoted" },{ text', "naïve café ✓ 日本語", "\\ back\nslash", "🙂".repeat(40), "last"];
    for (const text of texts) {
      await sessions.appendTurn("s", [
        { role: "user", content: text },
        { role: "assistant", content: `re: ${text}` },
      ]);
    }
    expect(contents(await sessions.load("s"))).toEqual([texts[3], `re: ${texts[3]}`, "last", "re: last"]);
  });

  it("drops a turn with only an answer rather than starting the history with it", async () => {
    const sessions = store(10);
    await sessions.appendTurn("s", [{ role: "assistant", content: "orphan" }]);
    expect(await sessions.load("s")).toBe("");
    await sessions.appendTurn("s", [
      { role: "user", content: "q" },
      { role: "assistant", content: "a" },
    ]);
    expect(contents(await sessions.load("s"))).toEqual(["q", "a"]);
  });

  it("starts afresh when one of the two keys was lost, and ignores what it did not write", async () => {
    const keyPrefix = `t:${randomUUID()}:`;
    const sessions = createSessionStore(redis, { keyPrefix, ttlSeconds: 100, maxHistoryMessages: 10 });
    const turn = (n: number) =>
      sessions.appendTurn("s", [
        { role: "user", content: `q${n}` },
        { role: "assistant", content: `a${n}` },
      ]);
    await turn(1);
    await inspector.del(`${keyPrefix}history:s:index`);
    await turn(2);
    expect(contents(await sessions.load("s"))).toEqual(["q2", "a2"]);
    await inspector.del(`${keyPrefix}history:s`);
    await turn(3);
    expect(contents(await sessions.load("s"))).toEqual(["q3", "a3"]);
    await inspector.set(`${keyPrefix}history:s`, "not a history");
    expect(await sessions.load("s")).toBe("");
  });

  it("sets and refreshes the session TTL on every turn", async () => {
    const keyPrefix = `t:${randomUUID()}:`;
    const sessions = createSessionStore(redis, { keyPrefix, ttlSeconds: 100, maxHistoryMessages: 10 });
    await sessions.appendTurn("s", [{ role: "user", content: "q" }]);
    await inspector.expire(`${keyPrefix}history:s`, 5);
    await inspector.expire(`${keyPrefix}history:s:index`, 5);
    await sessions.appendTurn("s", [{ role: "assistant", content: "a" }]);
    expect(await inspector.ttl(`${keyPrefix}history:s`)).toBeGreaterThan(90);
    expect(await inspector.ttl(`${keyPrefix}history:s:index`)).toBeGreaterThan(90);
  });

  it("loses no turn when 20 turns on one session are written concurrently", async () => {
    const sessions = store(100);
    await Promise.all(
      Array.from({ length: 20 }, (_, turn) =>
        sessions.appendTurn("busy", [
          { role: "user", content: `q${turn}` },
          { role: "assistant", content: `a${turn}` },
        ]),
      ),
    );
    const history = parseHistory(await sessions.load("busy"));
    expect(history).toHaveLength(40);
    for (let turn = 0; turn < 20; turn++) {
      const index = history.findIndex((message) => message.content === `q${turn}`);
      expect(history[index + 1]?.content, "each answer directly follows its question").toBe(`a${turn}`);
    }
  });
});
