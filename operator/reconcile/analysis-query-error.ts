import { failedRounds } from "../analysis/analysis-progress.ts";
import type { AnalysisSpec, AnalysisStatus } from "./analysis-gate.ts";

/**
 * While an analysis' rounds fail to query, what a rollout's message and Events say, from the first
 * failed round on: "step 2 analysis: Prometheus at http://prometheus:9090 unreachable: ECONNREFUSED
 * ... (1 of 5 failed rounds)". Undefined when the latest round queried: the analysis is running.
 */
export function queryErrorNote(
  what: string,
  status: AnalysisStatus | undefined,
  spec: AnalysisSpec | undefined,
): string | undefined {
  if (!status || !spec || status.queryError === undefined || status.consecutiveErrors === 0) return undefined;
  return `${what}: ${status.queryError} (${failedRounds(status.consecutiveErrors, spec)})`;
}
