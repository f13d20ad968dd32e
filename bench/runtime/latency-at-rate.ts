import type { BenchTargets } from "./bench-targets.ts";
import { openLoopTogether } from "./load-generator.ts";
import { type OverheadFigures, overheadDuring } from "./overhead.ts";
import { median, type PhaseResult, round2 } from "./phase-summary.ts";
import { diagnosticsDuring, type RuntimeDiagnostics, runtimeMetrics } from "./runtime-metrics.ts";
import type { BenchSettings } from "./settings.ts";

export type LatencyRound = {
  floor: PhaseResult;
  runtime: PhaseResult;
  p50AddedMs: number;
  p99AddedMs: number;
};

export type LatencyAtRate = {
  rounds: LatencyRound[];
  /** The round with the median added p99. */
  medianRound: LatencyRound;
  /** The median over rounds of the added p50. */
  p50AddedMs: number;
  /** The runtime's own overhead histogram over every round. */
  overhead: OverheadFigures;
  /** The runtime's diagnostics, GC figures counted over every round. */
  diagnostics: RuntimeDiagnostics;
};

/**
 * LATENCY_ROUNDS rounds of an open loop at RATE requests/s to the floor and the runtime for
 * LATENCY_SECONDS, both sent at the same scheduled instants, so a stall of the machine hits both.
 */
export async function measureLatencyAtRate(
  targets: BenchTargets,
  runtimeUrl: string,
  settings: BenchSettings,
): Promise<LatencyAtRate> {
  const { rate, latencyRounds, latencySeconds } = settings;
  process.stderr.write(
    `latency: open loop at ${rate} rps to each, together, ${latencyRounds} rounds of ${latencySeconds}s...\n`,
  );
  const before = await runtimeMetrics(runtimeUrl);
  const rounds: LatencyRound[] = [];
  for (let index = 0; index < latencyRounds; index++) {
    const [floor, runtime] = (await openLoopTogether(
      [targets.floor, targets.runtime],
      rate,
      latencySeconds,
    )) as [PhaseResult, PhaseResult];
    rounds.push({
      floor,
      runtime,
      p50AddedMs: round2(runtime.p50Ms - floor.p50Ms),
      p99AddedMs: round2(runtime.p99Ms - floor.p99Ms),
    });
  }
  const medianRound = [...rounds].sort((a, b) => a.p99AddedMs - b.p99AddedMs)[
    Math.floor((rounds.length - 1) / 2)
  ] as LatencyRound;
  const after = await runtimeMetrics(runtimeUrl);
  return {
    rounds,
    medianRound,
    p50AddedMs: median(rounds.map((result) => result.p50AddedMs)),
    overhead: overheadDuring(before.overhead, after.overhead),
    diagnostics: diagnosticsDuring(before.diagnostics, after.diagnostics),
  };
}
