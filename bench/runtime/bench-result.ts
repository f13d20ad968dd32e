/**
 * bench/results/runtime.json: the figures of one run. People compare runs by these field names,
 * so they stay as they are; the figures the targets are judged on come first.
 */
import { cpus } from "node:os";
import type { CpuPlacement } from "./cpu-placement.ts";
import type { LatencyAtRate } from "./latency-at-rate.ts";
import type { LoneRequests } from "./lone-requests.ts";
import { round2 } from "./phase-summary.ts";
import type { BenchSettings } from "./settings.ts";
import type { IdleRss } from "./start-parts.ts";
import type { Throughput } from "./throughput.ts";

export type BenchRun = {
  settings: BenchSettings;
  /** Load averages (1, 5, 15 min) before anything was built or started. */
  loadAtStart: number[];
  placement: CpuPlacement | undefined;
  idle: IdleRss;
  throughput: Throughput;
  lone: LoneRequests;
  latency: LatencyAtRate;
};

export type BenchResult = ReturnType<typeof benchResult>;

const cpu = (value: number) => Math.round(value * 1000) / 1000;

export function benchResult(run: BenchRun) {
  const { settings, loadAtStart, placement, idle, throughput, lone, latency } = run;
  const { rate } = settings;
  const { runtime: runtimeAtRate, floor: floorAtRate } = latency.medianRound;
  const litellmCpuMsPerRequest = throughput.litellmCpuMsPerRequest;
  return {
    // The figures the targets are judged on, from this one run.
    cpuMsPerRequest: cpu(throughput.runtimeCpuMsPerRequest),
    litellmCpuMsPerRequest: litellmCpuMsPerRequest === null ? null : cpu(litellmCpuMsPerRequest),
    requestsPerCpuSecondVsLitellm:
      litellmCpuMsPerRequest === null
        ? null
        : round2(litellmCpuMsPerRequest / throughput.runtimeCpuMsPerRequest),
    overheadP50Ms: latency.overhead.p50Ms,
    overheadP99Ms: latency.overhead.p99Ms,
    idleRssMB: idle.runtime,
    targets: {
      requestsPerCpuSecondVsLitellm: ">= 20 (runtime requests per CPU-second / LiteLLM's)",
      overheadP50Ms: `<= 1 at ${rate} rps (agentry_request_overhead_seconds)`,
      overheadP99Ms: `<= 5 at ${rate} rps (agentry_request_overhead_seconds)`,
      idleRssMB: "<= 150",
    },
    rps: throughput.runtime.rps,
    floorRps: throughput.floor.rps,
    ratio: round2(throughput.ratio),
    p50AddedMs: round2(latency.p50AddedMs),
    p99AddedMs: latency.medianRound.p99AddedMs,
    loadedRssMB: throughput.loadedRssMB,
    // CPU per request of the floor proxy process alone, beside the runtime's (cpuMsPerRequest):
    // steadier than rps on a shared machine, because it does not depend on what else competes.
    floorCpuMsPerRequest: cpu(throughput.floorCpuMsPerRequest),
    throughput: {
      concurrency: settings.concurrency,
      secondsPerRound: settings.throughputSeconds,
      ratioPerRound: throughput.ratios.map(round2),
      runtime: throughput.runtime,
      floor: throughput.floor,
      litellm: throughput.litellm,
    },
    loneRequests: lone,
    // Where the machine's CPU went per request in each throughput phase (ms, every process on
    // the machine that serves it, the load generator included): the cores are shared, so a
    // heavier stub or Redis leaves less for the runtime.
    cpuMsPerRequestByProcess: throughput.cpuByProcess,
    latencyAtRate: {
      rate,
      secondsPerRound: settings.latencySeconds,
      p99AddedMsPerRound: latency.rounds.map((result) => result.p99AddedMs),
      runtime: runtimeAtRate,
      floor: floorAtRate,
    },
    runtimeDiagnosticsAtRate: latency.diagnostics,
    runtimeDiagnosticsAfterThroughput: throughput.runtimeDiagnosticsAfter,
    // The runtime's own histogram of what it added (duration minus waiting for the model), over
    // every latency round: what happens inside the process, without the trip to and from it.
    runtimeOverheadAtRate: latency.overhead,
    floorIdleRssMB: idle.floor,
    litellmIdleRssMB: idle.litellm,
    litellmLoadedRssMB: throughput.litellmLoadedRssMB,
    setup: {
      runtime:
        "POST /v1/chat, sessionId from a pool of 200, each with 50 history messages (Redis memory on), info logs to /dev/null",
      floor:
        "node:http pass-through proxy to the same stub, POST /v1/chat/completions with the model request the runtime makes (system + 50 history + new message)",
      litellm: settings.withLitellm
        ? "LiteLLM proxy, one worker, POST /v1/chat/completions with the floor's model request, routed to the same stub"
        : "not run (BENCH_LITELLM=1 runs it)",
      stub: "test/support/stub-model-cli.ts, answering instantly",
      runtimeNodeArgs: settings.runtimeNodeArgs.join(" "),
      machine: { cpus: cpus().length, node: process.version, loadAverageAtStart: loadAtStart },
      cpuPlacement: placement
        ? {
            runtime: `CPU ${placement.service}`,
            "load generator, stub, floor, litellm": `CPU ${placement.clients}`,
            redis: `CPU ${placement[settings.redisCpu]}`,
          }
        : "none: every process on every CPU",
    },
    measuredAt: new Date().toISOString(),
  };
}
