import type { AnalysisOps } from "../reconcile/analysis-gate.ts";
import { nextRequeueMs, recordMeasurements, startAnalysis } from "./analysis-progress.ts";

/** The analysis state machine as the rollout strategies drive it. */
export const analysisOps: AnalysisOps = {
  start: startAnalysis,
  record: recordMeasurements,
  nextRequeueMs,
};
