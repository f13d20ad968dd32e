import type { BenchTargets } from "./bench-targets.ts";
import { closedLoop, type Target } from "./load-generator.ts";
import { median, medianRound, type PhaseResult } from "./phase-summary.ts";
import { addCpuUsed, type CpuReading, cpuPerRequest, cpuSnapshot, rssMB } from "./process-readings.ts";
import { type RuntimeDiagnostics, runtimeMetrics } from "./runtime-metrics.ts";
import type { BenchSettings } from "./settings.ts";
import type { BenchParts } from "./start-parts.ts";

/** The median round's figures and every round's rps. */
export type MaxThroughput = PhaseResult & { rounds: number[] };

export type Throughput = {
  runtime: MaxThroughput;
  floor: MaxThroughput;
  litellm: MaxThroughput | null;
  /** The runtime's rps over the floor's, round by round. */
  ratios: number[];
  ratio: number;
  /** CPU ms per request of every process, in the rounds of each target. */
  cpuByProcess: { runtimePhase: CpuReading; floorPhase: CpuReading; litellmPhase: CpuReading | null };
  /** Each target's own process's share of the above. */
  runtimeCpuMsPerRequest: number;
  floorCpuMsPerRequest: number;
  litellmCpuMsPerRequest: number | null;
  loadedRssMB: number;
  litellmLoadedRssMB: number | null;
  runtimeDiagnosticsAfter: RuntimeDiagnostics;
};

/** Every round of one target, and the CPU each process used over them. */
type Rounds = { results: PhaseResult[]; cpuUsed: CpuReading };

/**
 * Closed loop, CONCURRENCY requests in flight, ROUNDS rounds of THROUGHPUT_SECONDS alternating
 * floor, runtime (and LiteLLM): the median round is reported, so a slow moment of the shared
 * machine does not decide the ratio. CPU per request of every process over all rounds.
 */
export async function measureThroughput(
  targets: BenchTargets,
  parts: BenchParts,
  settings: BenchSettings,
): Promise<Throughput> {
  process.stderr.write(
    `throughput: ${settings.concurrency} concurrent, ${settings.rounds} rounds of ${settings.throughputSeconds}s each...\n`,
  );
  const floor: Rounds = { results: [], cpuUsed: {} };
  const runtime: Rounds = { results: [], cpuUsed: {} };
  const litellm: Rounds = { results: [], cpuUsed: {} };
  const oneRound = async (target: Target, into: Rounds) => {
    const before = cpuSnapshot(parts.processes);
    into.results.push(
      await closedLoop(target, { seconds: settings.throughputSeconds, concurrency: settings.concurrency }),
    );
    addCpuUsed(into.cpuUsed, before, cpuSnapshot(parts.processes));
  };
  for (let round = 0; round < settings.rounds; round++) {
    await oneRound(targets.floor, floor);
    await oneRound(targets.runtime, runtime);
    if (targets.litellm) await oneRound(targets.litellm, litellm);
  }
  const perRequest = (rounds: Rounds) =>
    cpuPerRequest(
      rounds.cpuUsed,
      rounds.results.reduce((sum, result) => sum + result.requests, 0),
    );
  const maxOf = (rounds: Rounds): MaxThroughput => ({
    ...medianRound(rounds.results),
    rounds: rounds.results.map((result) => result.rps),
  });
  const floorCpu = perRequest(floor);
  const runtimeCpu = perRequest(runtime);
  const litellmCpu = targets.litellm ? perRequest(litellm) : null;
  const ratios = runtime.results.map(
    (result, index) => result.rps / (floor.results[index]?.rps ?? Number.NaN),
  );
  const loadedRssMB = rssMB(parts.runtime.pid);
  const runtimeDiagnosticsAfter = (await runtimeMetrics(parts.runtime.url)).diagnostics;
  return {
    runtime: maxOf(runtime),
    floor: maxOf(floor),
    litellm: targets.litellm ? maxOf(litellm) : null,
    ratios,
    ratio: median(ratios),
    cpuByProcess: { runtimePhase: runtimeCpu, floorPhase: floorCpu, litellmPhase: litellmCpu },
    runtimeCpuMsPerRequest: runtimeCpu.runtime ?? Number.NaN,
    floorCpuMsPerRequest: floorCpu.floor ?? Number.NaN,
    litellmCpuMsPerRequest: litellmCpu?.litellm ?? null,
    loadedRssMB,
    litellmLoadedRssMB: parts.litellm ? rssMB(parts.litellm.pid) : null,
    runtimeDiagnosticsAfter,
  };
}
