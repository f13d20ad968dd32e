/**
 * Starts a throwaway redis-server for a test suite: loopback only, a free port, no persistence,
 * no daemon config. It can be killed and restarted on the same port to simulate an outage.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findOverridableExecutable } from "./find-executable.ts";
import { freeLoopbackPort } from "./free-ports.ts";
import { requireRealPart } from "./require-real-part.ts";

/** AGENTRY_REDIS_SERVER, when set, is the only candidate. */
export function findRedisServer(): string | undefined {
  return findOverridableExecutable("redis-server", "AGENTRY_REDIS_SERVER");
}

/** True when the suite can run; skips loudly (or throws under AGENTRY_REQUIRE_REAL_PARTS=1). */
export function redisServerAvailable(suite: string): boolean {
  return requireRealPart(
    "redis-server",
    findRedisServer() !== undefined,
    "apt-get install redis-server",
    suite,
  );
}

/** True once something on the port answers PING (or NOAUTH: up, but wants a password). */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    // A server started with --requirepass answers NOAUTH: it is up all the same.
    socket.once("data", (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

export type RedisServerHandle = {
  url: string;
  port: number;
  /** The running server's process id (for CPU and memory readings). */
  readonly pid: number | undefined;
  /** SIGKILL: an abrupt outage, like a crashed or evicted Redis pod. */
  kill(): Promise<void>;
  /**
   * Starts again on the same port (after kill), with its options plus `extraArgs` for this start
   * (e.g. ["--replicaof", host, port]: back as a replica, as a server without persistence must be).
   */
  restart(extraArgs?: string[]): Promise<void>;
  stop(): Promise<void>;
};

export type RedisServerOptions = {
  /** More redis-server options, e.g. ["--requirepass", "secret"]. */
  extraArgs?: string[];
  /** Another executable of the same family, e.g. redis-sentinel. */
  binary?: string;
  /** A config file, read before the options (a sentinel needs one it can rewrite). */
  configFile?: string;
};

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = options.binary ?? findRedisServer();
  if (!binary) throw new Error("redis-server not found (apt-get install redis-server)");
  const port = await freeLoopbackPort();
  // Replicas write the master's snapshot to their directory: keep it out of the working tree.
  const dir = mkdtempSync(join(tmpdir(), "agentry-redis-"));
  let child: ChildProcess | undefined;

  const launch = async (restartArgs: string[] = []) => {
    const args = [
      ...(options.configFile ? [options.configFile] : []),
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      ...(options.extraArgs ?? []),
      ...restartArgs,
    ];
    const spawned = spawn(binary, [...args, "--daemonize", "no", "--loglevel", "warning"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    child = spawned;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (spawned.exitCode !== null) throw new Error(`redis-server exited with ${spawned.exitCode}`);
      if (await ping(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    spawned.kill("SIGKILL");
    throw new Error(`redis-server did not answer on port ${port} within 5 s`);
  };

  const terminate = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill(signal);
    await exited;
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid;
    },
    kill: () => terminate("SIGKILL"),
    restart: (extraArgs) => launch(extraArgs),
    stop: async () => {
      await terminate("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
