import type { AnalysisSpec, AnalysisStatus } from "./analysis-gate.ts";
import { queryErrorNote } from "./analysis-query-error.ts";
import type { RolloutEvent } from "./rollout-event.ts";
import { analysisVerdictReason, REASONS } from "./status/reasons.ts";

/**
 * Events for one recorded measurement round: the values measured, a round that could not query
 * (from the first one: an unreachable Prometheus is said at once, not when the limit is reached),
 * and the verdict when it changed.
 */
export function analysisEvents(
  what: string,
  before: AnalysisStatus | undefined,
  after: AnalysisStatus,
  spec: AnalysisSpec,
): RolloutEvent[] {
  const events: RolloutEvent[] = [];
  const queryError = queryErrorNote(what, after, spec);
  if (queryError && after.consecutiveErrors > (before?.consecutiveErrors ?? 0)) {
    events.push({ type: "Warning", reason: REASONS.analysisQueryFailed, message: queryError });
  }
  const newest = after.lastMeasurements?.[0]?.measuredAt;
  const latest = (after.lastMeasurements ?? []).filter((measurement) => measurement.measuredAt === newest);
  if (latest.length > 0 && (after.measurements ?? 0) > (before?.measurements ?? 0)) {
    const values = latest.map(
      (measurement) =>
        `${measurement.metric}=${measurement.value ?? "no data"}${measurement.stableValue === undefined ? "" : ` (stable ${measurement.stableValue})`} ${measurement.outcome}`,
    );
    events.push({
      type: latest.some((measurement) => measurement.outcome === "Failed") ? "Warning" : "Normal",
      reason: REASONS.analysisMeasured,
      message: `${what} measurement ${after.measurements}: ${values.join(", ")}`,
    });
  }
  const verdicts = ["Successful", "Failed", "Inconclusive"];
  if (after.phase !== before?.phase && verdicts.includes(after.phase)) {
    events.push({
      type: after.phase === "Successful" ? "Normal" : "Warning",
      reason: analysisVerdictReason(after.phase as "Successful" | "Failed" | "Inconclusive"),
      message: `${what} ${after.phase.toLowerCase()}${after.message ? `: ${after.message}` : ""}`,
    });
  }
  return events;
}
