/**
 * The analysis step of one reconcile (IO): start the analysis if it has no status yet, take a
 * round when one is due (resolving the Prometheus target first; a target that cannot be resolved
 * is a round of errors), fold it into the status, and say when to come back.
 */
import type { OperatorConfig } from "../config.ts";
import {
  type AnalysisRole,
  type AnalysisSpec,
  type AnalysisStatus,
  measurementDue,
  nextRequeueMs,
  recordMeasurements,
  startAnalysis,
} from "./analysis-progress.ts";
import { errorMeasurements, type MeasurementContext, measureMetrics } from "./measure-metric.ts";
import { type QueryFn, withPrometheusClient } from "./prometheus-client.ts";
import { type ReadSecretKey, resolvePrometheusTarget } from "./prometheus-target.ts";

export type AnalysisIo = {
  /** The operator's default Prometheus (OperatorConfig.prometheus). */
  operatorPrometheus: OperatorConfig["prometheus"];
  /** A Secret key in the agent's namespace. */
  readSecret: ReadSecretKey;
  /** Per-query deadline; default 10 s. */
  queryTimeoutMs?: number;
};

export type AdvancedAnalysis = {
  status: AnalysisStatus;
  /** When to reconcile again for this analysis; undefined once it is finished. */
  requeueAfterMs: number | undefined;
};

export async function advanceAnalysis(
  status: AnalysisStatus | undefined,
  spec: AnalysisSpec,
  role: AnalysisRole,
  context: MeasurementContext,
  io: AnalysisIo,
  now: Date,
): Promise<AdvancedAnalysis> {
  let next = status ?? startAnalysis(spec, now);
  if (measurementDue(next, spec, now)) {
    const target = await resolvePrometheusTarget(spec.prometheus, io.operatorPrometheus, io.readSecret);
    const round =
      target.kind === "error"
        ? errorMeasurements(spec.metrics, target.message, now)
        : await withPrometheusClient(
            target.target,
            (query: QueryFn) => measureMetrics(spec.metrics, context, query, now),
            io.queryTimeoutMs === undefined ? {} : { timeoutMs: io.queryTimeoutMs },
          );
    next = recordMeasurements(next, spec, round, now, role);
  }
  return { status: next, requeueAfterMs: nextRequeueMs(next, now) };
}
