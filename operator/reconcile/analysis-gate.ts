import type { AnalysisSpec, AnalysisStatus } from "../analysis/analysis-progress.ts";
import type { Measurement } from "../analysis/measure-metric.ts";

export type { AnalysisSpec, AnalysisStatus, Measurement };

/** The analysis a measurement round belongs to. */
export type AnalysisSlot = "step" | "background" | "blueGreen";

/** Measurement rounds the controller took for this reconcile, by analysis. */
export type TakenMeasurements = Partial<Record<AnalysisSlot, Measurement[]>>;

/** The pure analysis state machine the strategies drive (operator/analysis/analysis-progress.ts). */
export interface AnalysisOps {
  start(spec: AnalysisSpec, now: Date): AnalysisStatus;
  record(
    status: AnalysisStatus,
    spec: AnalysisSpec,
    measurements: readonly Measurement[],
    now: Date,
    options: { background: boolean },
  ): AnalysisStatus;
  /** Milliseconds until the next measurement is due; undefined once the analysis has a verdict. */
  nextRequeueMs(status: AnalysisStatus, now: Date): number | undefined;
}

export function isVerdict(status: AnalysisStatus | undefined): boolean {
  return status?.phase === "Successful" || status?.phase === "Failed" || status?.phase === "Inconclusive";
}
