/**
 * What a run of the runtime benchmark is told by its environment (BENCH_*), read once at start,
 * and the fixed sizes of its phases.
 */
import { RUNTIME_NODE_FLAGS } from "../../agent-runtime/node-flags.ts";

export type BenchSettings = {
  /** BENCH_CONCURRENCY: requests in flight in the throughput rounds. */
  concurrency: number;
  /** BENCH_ROUNDS: throughput rounds per target. */
  rounds: number;
  /** BENCH_THROUGHPUT_SECONDS: length of one throughput round. */
  throughputSeconds: number;
  /** BENCH_RATE: requests per second to each target in the latency phase. */
  rate: number;
  /** BENCH_RUNTIME_NODE_ARGS: the image's V8 flags unless it names others ("" for none). */
  runtimeNodeArgs: string[];
  /** BENCH_LATENCY_SECONDS: length of one latency round. */
  latencySeconds: number;
  /** BENCH_LATENCY_ROUNDS: latency rounds. */
  latencyRounds: number;
  /** BENCH_LONE_SECONDS: how long each target gets one request at a time. */
  loneSeconds: number;
  /** BENCH_LITELLM=1: LiteLLM's proxy is measured too. */
  withLitellm: boolean;
  /** BENCH_PIN=0 turns CPU placement off (see cpu-placement.ts). */
  pin: boolean;
  /** BENCH_REDIS_CPU=service puts Redis on the runtime's CPU instead of the clients'. */
  redisCpu: "service" | "clients";
};

export const WARMUP_SECONDS = 1.5;
export const SESSIONS = 200;
/** The runtime's default AGENTRY_MEMORY_MAX_HISTORY_MESSAGES. */
export const HISTORY_MESSAGES = 50;
export const MAX_REQUESTS_PER_PHASE = 200_000;

export function benchSettingsFrom(env: NodeJS.ProcessEnv): BenchSettings {
  return {
    concurrency: Number(env.BENCH_CONCURRENCY ?? 32),
    rounds: Number(env.BENCH_ROUNDS ?? 5),
    throughputSeconds: Number(env.BENCH_THROUGHPUT_SECONDS ?? 3),
    rate: Number(env.BENCH_RATE ?? 500),
    runtimeNodeArgs:
      env.BENCH_RUNTIME_NODE_ARGS === undefined
        ? [...RUNTIME_NODE_FLAGS]
        : env.BENCH_RUNTIME_NODE_ARGS.split(" ").filter(Boolean),
    latencySeconds: Number(env.BENCH_LATENCY_SECONDS ?? 6),
    latencyRounds: Number(env.BENCH_LATENCY_ROUNDS ?? 5),
    loneSeconds: Number(env.BENCH_LONE_SECONDS ?? 3),
    withLitellm: env.BENCH_LITELLM === "1",
    pin: env.BENCH_PIN !== "0",
    redisCpu: env.BENCH_REDIS_CPU === "service" ? "service" : "clients",
  };
}
