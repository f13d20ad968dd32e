/**
 * The runtime on a real three-master Redis Cluster: sessions (a two-key Lua script each), the
 * shared rate limit and the response cache, with keys spread over the masters and no CROSSSLOT.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHistory } from "../../../agent-runtime/memory/session-store.ts";
import {
  type RedisClusterHandle,
  redisClusterAvailable,
  startRedisCluster,
} from "../../support/redis-cluster.ts";
import { useStubbedRuntimes } from "../test-runtime.ts";

const available = redisClusterAvailable("Redis Cluster (redis/redis-cluster)");
const fixture = useStubbedRuntimes();

describe.skipIf(!available)("the runtime on Redis Cluster", () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 30_000);
  afterAll(() => cluster?.stop());

  const clusterEnv = () => ({
    AGENTRY_REDIS_CLUSTER_NODES: cluster.nodes.map(({ host, port }) => `${host}:${port}`).join(","),
  });

  it("keeps sessions on every master, each session's keys in one slot", async () => {
    const prefix = `c:${randomUUID()}:`;
    const agent = await fixture.runtime({ ...clusterEnv(), AGENTRY_REDIS_KEY_PREFIX: prefix });
    const sessions = Array.from({ length: 30 }, (_, index) => `session-${index}`);
    for (const turn of [1, 2]) {
      const responses = await Promise.all(
        sessions.map((sessionId) =>
          agent.app.inject({
            method: "POST",
            url: "/v1/chat",
            payload: { sessionId, message: `${sessionId} turn ${turn}` },
          }),
        ),
      );
      expect(responses.map((response) => response.statusCode)).toEqual(sessions.map(() => 200));
    }
    for (const sessionId of sessions) {
      const history = parseHistory((await agent.deps.sessions?.load(undefined, sessionId)) ?? "");
      expect(history.map((message) => message.content)).toEqual([
        `${sessionId} turn 1`,
        `echo: ${sessionId} turn 1`,
        `${sessionId} turn 2`,
        `echo: ${sessionId} turn 2`,
      ]);
    }
    const perNode = [...(await cluster.keysPerNode(`${prefix}session:*`)).values()];
    expect(perNode.reduce((sum, count) => sum + count, 0)).toBe(60);
    expect(
      perNode.every((count) => count > 0),
      `keys on every master: ${perNode}`,
    ).toBe(true);
    // The two keys of a session are never split between masters.
    expect(perNode.every((count) => count % 2 === 0)).toBe(true);
  });

  it("enforces the rate limit and serves the cache through the cluster", async () => {
    const agent = await fixture.runtime({
      ...clusterEnv(),
      AGENTRY_AUTH_MODE: "apiKey",
      AGENTRY_API_KEYS: "cluster-test-key-0123456789",
      AGENTRY_RATE_LIMIT_RPM: "60",
      AGENTRY_RATE_LIMIT_BURST: "3",
      AGENTRY_TEMPERATURE: "0",
      AGENTRY_CACHE_TTL_SECONDS: "60",
    });
    const chat = () =>
      agent.app.inject({
        method: "POST",
        url: "/v1/chat",
        headers: { authorization: "Bearer cluster-test-key-0123456789" },
        payload: { message: "same question" },
      });
    const responses = [await chat(), await chat(), await chat(), await chat()];
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 429]);
    expect(responses.slice(0, 3).map((response) => response.headers["x-agentry-cache"])).toEqual([
      "miss",
      "hit",
      "hit",
    ]);
    expect(fixture.stub.stats.total).toBe(1);
  });

  it("reports the cluster in /readyz?verbose", async () => {
    const agent = await fixture.runtime(clusterEnv());
    const verbose = await agent.app.inject("/readyz?verbose");
    expect(verbose.json().checks.redis).toEqual({ ok: true, detail: "PONG" });
  });
});
