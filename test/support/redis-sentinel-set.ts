/**
 * A real Sentinel-managed Redis on loopback for a test suite: one master, one replica and three
 * sentinels (quorum 2), with passwords on the data servers and on the sentinels, and failover
 * timings small enough for a test (down after 1 s, failover timeout 3 s).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { waitFor } from "../../agent-runtime/testing/wait-for.ts";
import { findExecutable, type RedisServerHandle, startRedisServer } from "./redis-server.ts";
import { requireRealPart } from "./require-real-part.ts";

export const MASTER_NAME = "agentry";

export function findRedisSentinel(): string | undefined {
  return findExecutable("redis-sentinel");
}

/** True when the suite can run; skips loudly (or throws under AGENTRY_REQUIRE_REAL_PARTS=1). */
export function redisSentinelAvailable(suite: string): boolean {
  return requireRealPart(
    "redis-server and redis-sentinel",
    findRedisSentinel() !== undefined && findExecutable("redis-server") !== undefined,
    "apt-get install redis-server redis-sentinel",
    suite,
  );
}

export type RedisSentinelSet = {
  masterName: string;
  password: string;
  sentinelPassword: string;
  sentinels: { host: string; port: number }[];
  /** The data servers by port: the first master and its replica. */
  servers: Map<number, RedisServerHandle>;
  /** The master's port as the sentinels see it now. */
  masterPort(): Promise<number>;
  /** Replicas the sentinels know of and consider up. */
  upReplicas(): Promise<number>;
  stop(): Promise<void>;
};

export async function startRedisSentinelSet(): Promise<RedisSentinelSet> {
  const binary = findRedisSentinel();
  if (!binary) throw new Error("redis-sentinel not found (apt-get install redis-sentinel)");
  const password = "data-server-password";
  const sentinelPassword = "sentinel-password";
  const dir = mkdtempSync(join(tmpdir(), "agentry-sentinel-"));
  const auth = ["--requirepass", password, "--masterauth", password];
  const started: RedisServerHandle[] = [];
  try {
    const master = await startRedisServer({ extraArgs: auth });
    started.push(master);
    const replica = await startRedisServer({
      extraArgs: [...auth, "--replicaof", "127.0.0.1", String(master.port)],
    });
    started.push(replica);

    for (let index = 0; index < 3; index++) {
      const configFile = join(dir, `sentinel-${index}.conf`);
      writeFileSync(
        configFile,
        [
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 3000`,
          `sentinel auth-pass ${MASTER_NAME} ${password}`,
          `requirepass ${sentinelPassword}`,
          `sentinel sentinel-pass ${sentinelPassword}`,
          `dir ${dir}`,
          "",
        ].join("\n"),
      );
      started.push(await startRedisServer({ binary, configFile }));
    }
    const sentinels = started.slice(2).map((handle) => ({ host: "127.0.0.1", port: handle.port }));
    const ask = async <T>(question: (sentinel: Redis) => Promise<T>): Promise<T> => {
      const sentinel = new Redis({ ...sentinels[0], password: sentinelPassword, lazyConnect: true });
      try {
        return await question(sentinel);
      } finally {
        sentinel.disconnect();
      }
    };
    const masterState = () =>
      ask(async (sentinel) => {
        const flat = (await sentinel.call("SENTINEL", "MASTER", MASTER_NAME)) as string[];
        const state = new Map<string, string>();
        for (let i = 0; i < flat.length; i += 2) state.set(flat[i] as string, flat[i + 1] as string);
        return state;
      });
    // Ready when every sentinel knows the other two (a failover needs a majority) and the replica.
    await waitFor(
      "the sentinels to find each other and the replica",
      async () => {
        const state = await masterState();
        return state.get("num-other-sentinels") === "2" && state.get("num-slaves") === "1";
      },
      20_000,
      undefined,
      100,
    );
    return {
      masterName: MASTER_NAME,
      password,
      sentinelPassword,
      sentinels,
      servers: new Map([
        [master.port, master],
        [replica.port, replica],
      ]),
      masterPort: async () => Number((await masterState()).get("port")),
      upReplicas: () =>
        ask(async (sentinel) => {
          const replicas = (await sentinel.call("SENTINEL", "REPLICAS", MASTER_NAME)) as string[][];
          return replicas.filter((fields) => {
            const flags = fields[fields.indexOf("flags") + 1] ?? "";
            return !/s_down|o_down|disconnected/.test(flags);
          }).length;
        }),
      stop: async () => {
        await Promise.all(started.map((handle) => handle.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((handle) => handle.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
