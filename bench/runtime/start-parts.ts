/**
 * The processes the runtime benchmark measures, each on loopback: redis-server, the stub model
 * endpoint (answering instantly), the floor proxy (floor-proxy.cjs), the runtime as its image runs
 * it (compiled to JavaScript) and, with BENCH_LITELLM=1, LiteLLM's proxy.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type RedisServerHandle, startRedisServer } from "../../test/support/redis-server.ts";
import { type RuntimeProcess, startRuntimeProcess } from "../../test/support/runtime-process.ts";
import { type LiteLlmProxy, startLiteLlmProxy } from "../litellm-proxy.ts";
import { type CpuPlacement, cpuPlacement, pin } from "./cpu-placement.ts";
import { type ProcessIds, rssMB } from "./process-readings.ts";
import type { BenchSettings } from "./settings.ts";

const STUB_CLI = fileURLToPath(new URL("../../test/support/stub-model-cli.ts", import.meta.url));
const FLOOR_PROXY = fileURLToPath(new URL("./floor-proxy.cjs", import.meta.url));

export type BenchParts = {
  redis: RedisServerHandle;
  stub: ChildProcess;
  floor: ChildProcess;
  floorPort: number;
  runtime: RuntimeProcess;
  litellm: LiteLlmProxy | undefined;
  /** Whose CPU is read in the throughput rounds, by name. */
  processes: ProcessIds;
  /** Stops every part, the runtime first. */
  stop(): Promise<void>;
};

/** Compiles the sources as the image build does and returns the compiled server entry. */
export function buildRuntime(): string {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  execFileSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, "-p", `${root}tsconfig.build.json`],
    {
      stdio: "inherit",
    },
  );
  return `${root}dist/agent-runtime/server.js`;
}

function firstJsonLine(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`process exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (line) =>
      resolve(JSON.parse(line)),
    );
  });
}

/** Starts every part and lets them settle for a second; what started is stopped if one fails. */
export async function startParts(options: {
  runtimeEntry: string;
  runtimeNodeArgs: string[];
  litellmBin: string | undefined;
}): Promise<BenchParts> {
  const children: ChildProcess[] = [];
  let redis: RedisServerHandle | undefined;
  let runtime: RuntimeProcess | undefined;
  let litellm: LiteLlmProxy | undefined;
  const stop = async () => {
    await runtime?.stop();
    await litellm?.stop();
    for (const child of children) child.kill("SIGTERM");
    await redis?.stop();
  };
  try {
    redis = await startRedisServer();
    const stub = spawn(process.execPath, [STUB_CLI, "--record-limit", "0"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(stub);
    const { port: stubPort, url: stubUrl } = (await firstJsonLine(stub)) as { port: number; url: string };
    const floor = spawn(process.execPath, [FLOOR_PROXY, String(stubPort)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(floor);
    const { port: floorPort } = (await firstJsonLine(floor)) as { port: number };
    runtime = await startRuntimeProcess(
      {
        AGENTRY_MODEL: "bench-model",
        AGENTRY_PROVIDER_BASE_URL: stubUrl,
        AGENTRY_REDIS_URL: redis.url,
        AGENTRY_SYSTEM_PROMPT: "You are a helpful assistant.",
        AGENTRY_REVISION: "bench",
      },
      {
        stdout: "discard",
        nodeArgs: options.runtimeNodeArgs,
        entry: options.runtimeEntry,
      },
    );
    if (options.litellmBin) {
      process.stderr.write("starting litellm (one worker)...\n");
      litellm = await startLiteLlmProxy(options.litellmBin, { model: "bench-model", stubUrl });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const processes: ProcessIds = {
      stub: stub.pid ?? 0,
      redis: redis.pid ?? 0,
      floor: floor.pid ?? 0,
      runtime: runtime.pid,
      ...(litellm ? { litellm: litellm.pid } : {}),
    };
    return { redis, stub, floor, floorPort, runtime, litellm, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Pins the parts as cpu-placement.ts says (this process with the clients); the placement used. */
export function placeParts(parts: BenchParts, settings: BenchSettings): CpuPlacement | undefined {
  const placement = cpuPlacement(settings);
  if (placement) {
    for (const pid of [process.pid, parts.stub.pid, parts.floor.pid, parts.litellm?.pid])
      pin(pid, placement.clients);
    pin(parts.redis.pid, placement[settings.redisCpu]);
    pin(parts.runtime.pid, placement.service);
  }
  return placement;
}

export type IdleRss = { runtime: number; floor: number; litellm: number | null };

/** Resident memory of the runtime and its peers before any request. */
export function idleRss(parts: BenchParts): IdleRss {
  return {
    runtime: rssMB(parts.runtime.pid),
    floor: rssMB(parts.floor.pid ?? 0),
    litellm: parts.litellm ? rssMB(parts.litellm.pid) : null,
  };
}
