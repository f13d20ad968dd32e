import type { AnalysisSpec, AnalysisStatus } from "../analysis/analysis-progress.ts";
import type { Measurement } from "../analysis/measure-metric.ts";

export type { AnalysisSpec, AnalysisStatus, Measurement };

/** The analysis a measurement round belongs to. */
export type AnalysisSlot = "step" | "background" | "blueGreen";

/** Measurement rounds the controller took for this reconcile, by analysis. */
export type TakenMeasurements = Partial<Record<AnalysisSlot, Measurement[]>>;

export function isVerdict(status: AnalysisStatus | undefined): boolean {
  return status?.phase === "Successful" || status?.phase === "Failed" || status?.phase === "Inconclusive";
}
