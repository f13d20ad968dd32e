/**
 * A real Sentinel-managed Redis on loopback for a test suite: one master, one replica and three
 * sentinels (quorum 2), with passwords on the data servers and on the sentinels, and failover
 * timings small enough for a test (down after 1 s, failover timeout 3 s). A replica gets its copy
 * at once (no diskless-sync delay).
 *
 * The data servers keep nothing on disk, so a killed one must come back as a replica of the
 * current master (`restartAsReplica`), as an orchestrator brings back a Redis without
 * persistence. Restarted as a master it is an empty master that the sentinels list as a replica
 * until they demote it (about 10 s); a second failover in that time (the new master missed its
 * pings for the 1 s down-after on a busy machine) can promote it, and the server holding every
 * acknowledged write then copies its empty data set.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { findExecutable } from "./find-executable.ts";
import { type RedisServerHandle, startRedisServer } from "./redis-server.ts";
import { requireRealPart } from "./require-real-part.ts";
import { waitFor } from "./wait-for.ts";

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
  /** The master's port as the first sentinel sees it now. */
  masterPort(): Promise<number>;
  /** The master's port if every sentinel names the same one, else undefined (a failover spreading). */
  agreedMasterPort(): Promise<number | undefined>;
  /** Starts a killed data server again as a replica of the current master. */
  restartAsReplica(port: number): Promise<void>;
  /** Replicas the current master streams to (INFO replication: state=online). */
  onlineReplicas(): Promise<number>;
  stop(): Promise<void>;
};

export async function startRedisSentinelSet(): Promise<RedisSentinelSet> {
  const binary = findRedisSentinel();
  if (!binary) throw new Error("redis-sentinel not found (apt-get install redis-sentinel)");
  const password = "data-server-password";
  const sentinelPassword = "sentinel-password";
  const dir = mkdtempSync(join(tmpdir(), "agentry-sentinel-"));
  const auth = ["--requirepass", password, "--masterauth", password, "--repl-diskless-sync-delay", "0"];
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
    const servers = new Map([
      [master.port, master],
      [replica.port, replica],
    ]);
    const sentinels = started.slice(2).map((handle) => ({ host: "127.0.0.1", port: handle.port }));
    const firstSentinel = sentinels[0] as { host: string; port: number };
    const ask = async <T>(
      question: (client: Redis) => Promise<T>,
      server: { host: string; port: number; password: string } = {
        ...firstSentinel,
        password: sentinelPassword,
      },
    ): Promise<T> => {
      const client = new Redis({ ...server, lazyConnect: true });
      try {
        return await question(client);
      } finally {
        client.disconnect();
      }
    };
    const masterPortOf = (sentinel: { host: string; port: number }) =>
      ask(
        async (client) => {
          const [, port] = (await client.call(
            "SENTINEL",
            "GET-MASTER-ADDR-BY-NAME",
            MASTER_NAME,
          )) as string[];
          return Number(port);
        },
        { ...sentinel, password: sentinelPassword },
      );
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
      servers,
      masterPort: async () => Number((await masterState()).get("port")),
      agreedMasterPort: async () => {
        const ports = new Set(await Promise.all(sentinels.map(masterPortOf)));
        return ports.size === 1 ? [...ports][0] : undefined;
      },
      restartAsReplica: async (port) => {
        const server = servers.get(port);
        if (!server) throw new Error(`no data server of this set listens on ${port}`);
        const master = await masterPortOf(firstSentinel);
        if (master === port) throw new Error(`the sentinels still name ${port} the master`);
        await server.restart(["--replicaof", "127.0.0.1", String(master)]);
      },
      onlineReplicas: async () => {
        const master = await masterPortOf(firstSentinel);
        const info = await ask((client) => client.info("replication"), {
          host: "127.0.0.1",
          port: master,
          password,
        });
        return info.split("\n").filter((line) => /^slave\d+:.*state=online/.test(line)).length;
      },
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
