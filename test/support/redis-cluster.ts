/**
 * A real Redis Cluster on loopback for a test suite: three masters (no replicas), the 16384 slots
 * split between them by `redis-cli --cluster create`.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { findExecutable } from "./find-executable.ts";
import { type RedisServerHandle, startRedisServer } from "./redis-server.ts";
import { requireRealPart } from "./require-real-part.ts";
import { waitFor } from "./wait-for.ts";

/** True when the suite can run; skips loudly (or throws under AGENTRY_REQUIRE_REAL_PARTS=1). */
export function redisClusterAvailable(suite: string): boolean {
  return requireRealPart(
    "redis-server and redis-cli",
    findExecutable("redis-server") !== undefined && findExecutable("redis-cli") !== undefined,
    "apt-get install redis-server",
    suite,
  );
}

export type RedisClusterHandle = {
  nodes: { host: string; port: number }[];
  /** Keys each master holds, by port (to see that data is really spread). */
  keysPerNode(pattern: string): Promise<Map<number, number>>;
  stop(): Promise<void>;
};

export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const cli = findExecutable("redis-cli");
  if (!cli) throw new Error("redis-cli not found (apt-get install redis-server)");
  const servers: RedisServerHandle[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    for (let index = 0; index < 3; index++) {
      // Each server has a directory of its own, where it keeps its nodes.conf.
      servers.push(
        await startRedisServer({ extraArgs: ["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"] }),
      );
    }
    const nodes = servers.map((server) => ({ host: "127.0.0.1", port: server.port }));
    await promisify(execFile)(cli, [
      "--cluster",
      "create",
      ...nodes.map(({ host, port }) => `${host}:${port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    const onEach = async <T>(question: (node: Redis, port: number) => Promise<T>): Promise<T[]> =>
      Promise.all(
        nodes.map(async ({ host, port }) => {
          const node = new Redis({ host, port, lazyConnect: true });
          try {
            return await question(node, port);
          } finally {
            node.disconnect();
          }
        }),
      );
    await waitFor(
      "every node to report cluster_state:ok",
      async () =>
        (await onEach(async (node) => String(await node.cluster("INFO")))).every((info) =>
          info.includes("cluster_state:ok"),
        ),
      20_000,
    );
    return {
      nodes,
      keysPerNode: async (pattern) =>
        new Map(
          await onEach(
            async (node, port): Promise<[number, number]> => [port, (await node.keys(pattern)).length],
          ),
        ),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
