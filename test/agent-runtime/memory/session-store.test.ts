import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSessionStore,
  parseHistory,
  type SessionHistory,
  sessionKeysOf,
} from "../../../agent-runtime/memory/session-store.ts";
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

const contents = (history: SessionHistory) => parseHistory(history).map((message) => message.content);

const alice = { id: "key-a11ce0", roles: [] };

const available = redisServerAvailable("session store (memory/session-store)");

describe.skipIf(!available)("session store on a real Redis", () => {
  let server: RedisServerHandle;
  let redis: RedisClient;
  let inspector: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = createRedisClient({ mode: "standalone", url: server.url }, pino({ level: "silent" }));
    inspector = new Redis(server.url);
    await whenRedisReady(redis);
  });
  afterAll(async () => {
    redis?.disconnect();
    inspector?.disconnect();
    await server?.stop();
  });

  const LIMITS = { maxHistoryBytes: 1_000_000, maxMessageBytes: 100_000 };
  const store = (maxHistoryMessages = 50, ttlSeconds = 3600, limits = LIMITS) =>
    createSessionStore(redis, { keyPrefix: `t:${randomUUID()}:`, ttlSeconds, maxHistoryMessages, ...limits });

  it("trims the oldest turns to keep the stored history within its byte limit", async () => {
    const sessions = store(50, 3600, { maxHistoryBytes: 400, maxMessageBytes: 100 });
    for (let n = 1; n <= 4; n++) {
      await sessions.appendTurn(alice, "s", [
        { role: "user", content: `q${n}`.padEnd(60, ".") },
        { role: "assistant", content: `a${n}`.padEnd(60, ".") },
      ]);
    }
    const history = await sessions.load(alice, "s");
    expect(history.length).toBeLessThanOrEqual(400);
    expect(contents(history).map((content) => content.slice(0, 2))).toEqual(["q3", "a3", "q4", "a4"]);
  });

  it("stores a message cut to the per-message limit, on a character boundary", async () => {
    const sessions = store(50, 3600, { maxHistoryBytes: 10_000, maxMessageBytes: 10 });
    await sessions.appendTurn(alice, "s", [
      { role: "user", content: "short" },
      { role: "assistant", content: "ééééééé" },
    ]);
    expect(contents(await sessions.load(alice, "s"))).toEqual(["short", "ééééé"]);
  });

  it("returns turns in order", async () => {
    const sessions = store();
    await sessions.appendTurn(alice, "s", [
      { role: "user", content: "q1" },
      { role: "assistant", content: "a1" },
    ]);
    await sessions.appendTurn(alice, "s", [
      { role: "user", content: "q2" },
      { role: "assistant", content: "a2" },
    ]);
    expect(contents(await sessions.load(alice, "s"))).toEqual(["q1", "a1", "q2", "a2"]);
    expect(await sessions.load(alice, "other")).toBe("");
  });

  it("trims to maxHistoryMessages, dropping the oldest", async () => {
    const sessions = store(3);
    for (let turn = 1; turn <= 3; turn++) {
      await sessions.appendTurn(alice, "s", [
        { role: "user", content: `q${turn}` },
        { role: "assistant", content: `a${turn}` },
      ]);
    }
    // The last 3 are a2, q3, a3; a2 lost its question, so it is not replayed.
    expect(contents(await sessions.load(alice, "s"))).toEqual(["q3", "a3"]);
  });

  it("trims by message, whatever bytes the messages hold", async () => {
    const sessions = store(4);
    const texts = ['a, "quoted" },{ text', "naïve café ✓ 日本語", "\\ back\nslash", "🙂".repeat(40), "last"];
    for (const text of texts) {
      await sessions.appendTurn(alice, "s", [
        { role: "user", content: text },
        { role: "assistant", content: `re: ${text}` },
      ]);
    }
    expect(contents(await sessions.load(alice, "s"))).toEqual([
      texts[3],
      `re: ${texts[3]}`,
      "last",
      "re: last",
    ]);
  });

  it("drops a turn with only an answer rather than starting the history with it", async () => {
    const sessions = store(10);
    await sessions.appendTurn(alice, "s", [{ role: "assistant", content: "orphan" }]);
    expect(await sessions.load(alice, "s")).toBe("");
    await sessions.appendTurn(alice, "s", [
      { role: "user", content: "q" },
      { role: "assistant", content: "a" },
    ]);
    expect(contents(await sessions.load(alice, "s"))).toEqual(["q", "a"]);
  });

  it("starts afresh when one of the two keys was lost, and ignores what it did not write", async () => {
    const keyPrefix = `t:${randomUUID()}:`;
    const sessions = createSessionStore(redis, {
      keyPrefix,
      ttlSeconds: 100,
      maxHistoryMessages: 10,
      ...LIMITS,
    });
    const turn = (n: number) =>
      sessions.appendTurn(alice, "s", [
        { role: "user", content: `q${n}` },
        { role: "assistant", content: `a${n}` },
      ]);
    const keys = sessionKeysOf(keyPrefix, alice, "s");
    await turn(1);
    await inspector.del(keys.index);
    await turn(2);
    expect(contents(await sessions.load(alice, "s"))).toEqual(["q2", "a2"]);
    await inspector.del(keys.history);
    await turn(3);
    expect(contents(await sessions.load(alice, "s"))).toEqual(["q3", "a3"]);
    await inspector.set(keys.history, "not a history");
    expect(await sessions.load(alice, "s")).toBe("");
  });

  it("sets and refreshes the session TTL on every turn", async () => {
    const keyPrefix = `t:${randomUUID()}:`;
    const sessions = createSessionStore(redis, {
      keyPrefix,
      ttlSeconds: 100,
      maxHistoryMessages: 10,
      ...LIMITS,
    });
    const keys = sessionKeysOf(keyPrefix, alice, "s");
    await sessions.appendTurn(alice, "s", [{ role: "user", content: "q" }]);
    await inspector.expire(keys.history, 5);
    await inspector.expire(keys.index, 5);
    await sessions.appendTurn(alice, "s", [{ role: "assistant", content: "a" }]);
    expect(await inspector.ttl(keys.history)).toBeGreaterThan(90);
    expect(await inspector.ttl(keys.index)).toBeGreaterThan(90);
  });

  it("loses no turn when 20 turns on one session are written concurrently", async () => {
    const sessions = store(100);
    await Promise.all(
      Array.from({ length: 20 }, (_, turn) =>
        sessions.appendTurn(alice, "busy", [
          { role: "user", content: `q${turn}` },
          { role: "assistant", content: `a${turn}` },
        ]),
      ),
    );
    const history = parseHistory(await sessions.load(alice, "busy"));
    expect(history).toHaveLength(40);
    for (let turn = 0; turn < 20; turn++) {
      const index = history.findIndex((message) => message.content === `q${turn}`);
      expect(history[index + 1]?.content, "each answer directly follows its question").toBe(`a${turn}`);
    }
  });

  it("keys a session by its owner: the same id from another principal is another session", async () => {
    const sessions = store();
    const bob = { id: "sub-bob", roles: [] };
    await sessions.appendTurn(alice, "shared-id", [
      { role: "user", content: "alice's secret" },
      { role: "assistant", content: "noted" },
    ]);
    expect(await sessions.load(bob, "shared-id")).toBe("");
    expect(await sessions.load(undefined, "shared-id")).toBe("");
    expect(contents(await sessions.load(alice, "shared-id"))).toEqual(["alice's secret", "noted"]);
  });
});

describe("session keys", () => {
  it("put owner and id in one hash tag, with fixed suffixes after it", () => {
    expect(sessionKeysOf("agentry:ns/bot:", { id: "key-0a1b2c", roles: [] }, "user-42")).toEqual({
      history: "agentry:ns/bot:session:{key-0a1b2c:user-42}:history",
      index: "agentry:ns/bot:session:{key-0a1b2c:user-42}:index",
    });
    expect(sessionKeysOf("p:", undefined, "s").history).toBe("p:session:{anonymous:s}:history");
  });

  it.each([
    // An id that spells another session's key suffix.
    [
      { owner: "key-1", id: "abc:index" },
      { owner: "key-1", id: "abc" },
    ],
    // Owner and id that shift the separator between them.
    [
      { owner: "sub-a:b", id: "c" },
      { owner: "sub-a", id: "b:c" },
    ],
    // Braces that would end the hash tag early.
    [
      { owner: "sub-}x{", id: "y" },
      { owner: "sub-", id: "x{:y" },
    ],
  ])("never give two sessions a common key: %j and %j", (first, second) => {
    const keysOf = ({ owner, id }: { owner: string; id: string }) =>
      Object.values(sessionKeysOf("p:", { id: owner, roles: [] }, id));
    const all = [...keysOf(first), ...keysOf(second)];
    expect(new Set(all).size).toBe(4);
    for (const key of all) expect(key.match(/[{}]/g)).toEqual(["{", "}"]);
  });
});
