/**
 * The runtime on a real Sentinel-managed Redis (one master, one replica, three sentinels): the
 * master is SIGKILLed under load, the sentinels promote the replica, and the runtime follows.
 * Session writes wait for one replica (AGENTRY_REDIS_WAIT_REPLICAS=1), so every turn answered 200
 * is in its session's history afterwards; requests during the switch fail fast with 503.
 *
 * The killed server keeps nothing on disk, so it comes back as a replica of the new master once
 * every sentinel names that master, as docs/runtime.md asks of a deployment. Restarted as an empty
 * master instead, a second failover (the new master briefly looked down on a busy machine) could
 * promote it, and the promoted replica then resynced its empty data set: acknowledged turns lost.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHistory } from "../../../agent-runtime/memory/session-store.ts";
import {
  type RedisSentinelSet,
  redisSentinelAvailable,
  startRedisSentinelSet,
} from "../../support/redis-sentinel-set.ts";
import { waitFor } from "../../support/wait-for.ts";
import { useStubbedRuntimes } from "../test-runtime.ts";

const available = redisSentinelAvailable("Redis Sentinel failover (redis/redis-sentinel)");
const fixture = useStubbedRuntimes();

type Outcome = { worker: number; message: string; status: number; code?: string; ms: number };

describe.skipIf(!available)("the runtime on Redis Sentinel", () => {
  let set: RedisSentinelSet;
  beforeAll(async () => {
    set = await startRedisSentinelSet();
  }, 30_000);
  afterAll(() => set?.stop());

  it("follows a failover: no acknowledged turn lost, 503 fast during the switch", {
    timeout: 60_000,
  }, async () => {
    const agent = await fixture.runtime({
      AGENTRY_REDIS_SENTINELS: set.sentinels.map(({ host, port }) => `${host}:${port}`).join(","),
      AGENTRY_REDIS_SENTINEL_MASTER: set.masterName,
      AGENTRY_REDIS_SENTINEL_PASSWORD: set.sentinelPassword,
      AGENTRY_REDIS_PASSWORD: set.password,
      AGENTRY_REDIS_WAIT_REPLICAS: "1",
      AGENTRY_MEMORY_MAX_HISTORY_MESSAGES: "100000",
    });
    const oldMaster = await set.masterPort();
    const outcomes: Outcome[] = [];
    let running = true;
    const worker = async (worker: number) => {
      for (let turn = 0; running; turn++) {
        const message = `w${worker}-t${turn}`;
        const started = performance.now();
        const response = await agent.app.inject({
          method: "POST",
          url: "/v1/chat",
          payload: { sessionId: `failover-${worker}`, message },
        });
        const ms = performance.now() - started;
        const code = response.statusCode === 200 ? undefined : response.json().error?.code;
        outcomes.push({ worker, message, status: response.statusCode, code, ms });
        await sleep(response.statusCode === 200 ? 10 : 50);
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    const succeededSince = (since: number) => outcomes.slice(since).filter((o) => o.status === 200).length;

    let killedAt: number;
    try {
      await waitFor("turns before the failover", () => succeededSince(0) >= 20, 10_000);
      await set.servers.get(oldMaster)?.kill();
      killedAt = outcomes.length;
      await waitFor(
        "every sentinel to name the promoted replica",
        async () => ((await set.agreedMasterPort()) ?? oldMaster) !== oldMaster,
        20_000,
      );
      // Back as a replica of the new master, so WAIT 1 can succeed again.
      await set.restartAsReplica(oldMaster);
      await waitFor(
        "the old master to replicate again",
        async () => (await set.onlineReplicas()) === 1,
        20_000,
      );
      const rejoinedAt = outcomes.length;
      await waitFor("turns after the failover", () => succeededSince(rejoinedAt) >= 20, 20_000);
    } finally {
      running = false;
      await Promise.all(workers);
    }

    const failures = outcomes.filter((outcome) => outcome.status !== 200);
    expect(new Set(failures.map((outcome) => `${outcome.status} ${outcome.code}`))).toEqual(
      new Set(failures.length > 0 ? ["503 REDIS_UNAVAILABLE"] : []),
    );
    // Fail fast: nothing waits for the outage to end (command timeout 1 s, WAIT 0.5 s).
    expect(Math.max(...outcomes.map((outcome) => outcome.ms))).toBeLessThan(2000);
    expect(succeededSince(killedAt)).toBeGreaterThan(0);

    const lost: string[] = [];
    for (const worker of [0, 1, 2, 3]) {
      const history = parseHistory((await agent.deps.sessions?.load(undefined, `failover-${worker}`)) ?? "");
      const stored = new Set(history.map((message) => message.content));
      const acknowledged = outcomes.filter((o) => o.worker === worker && o.status === 200);
      for (const { message } of acknowledged) {
        if (!stored.has(message) || !stored.has(`echo: ${message}`)) lost.push(message);
      }
    }
    expect(lost, "acknowledged turns missing from their sessions").toEqual([]);
    // Logged once per outage, not once per reconnection attempt (several in this outage). Each of
    // the two connections (sessions, durable writes) has the outage of the kill, and may have one
    // short one more per sentinel: each sentinel announces +switch-master when it learns of the
    // failover, and the client reconnects on every announcement, even when already on the new master.
    const outagesAtMost = 2 * (1 + set.sentinels.length);
    expect(
      agent.logs.filter((line) => line.msg === "redis connection lost; reconnecting").length,
    ).toBeLessThanOrEqual(outagesAtMost);
    expect(agent.logs.some((line) => line.msg === "redis connection restored")).toBe(true);
  });
});
