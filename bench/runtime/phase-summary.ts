/** What one load phase against one target measured, and the statistics reported over rounds. */
import { percentile } from "../../test/support/percentile.ts";

export type PhaseResult = {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
};

/** Rounds to two decimals, as every ms and ratio figure of the benchmark is reported. */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** A phase's figures from its ascending latencies (ms), its errors and how long it took. */
export function summary(sorted: number[], errors: number, seconds: number): PhaseResult {
  return {
    requests: sorted.length,
    errors,
    seconds: round2(seconds),
    rps: Math.round(sorted.length / seconds),
    p50Ms: round2(percentile(sorted, 50)),
    p99Ms: round2(percentile(sorted, 99)),
  };
}

/** The round with the median rps (its latencies and errors come along). */
export function medianRound(rounds: PhaseResult[]): PhaseResult {
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)] as PhaseResult;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}
