/**
 * The analysis state machine, pure: (status, spec, measurements, now) -> status.
 *
 * One round measures every metric. A round with a Failed metric counts one failure; a round with
 * a query Error adds to `consecutiveErrors` and is taken again at the next interval (it does not
 * count towards `count`, so errors can never add up to a success); otherwise a round with an
 * Inconclusive metric counts one inconclusive. The verdict, checked after every round:
 *
 *   failures > failureLimit                   -> Failed        (the rollout aborts)
 *   consecutiveErrors > consecutiveErrorLimit -> Inconclusive  (the rollout pauses)
 *   inconclusives > inconclusiveLimit         -> Inconclusive
 *   measurements >= count                     -> Successful
 *
 * `count` defaults to 3 for step and promotion analyses; a background analysis without `count`
 * runs until the rollout ends (only Failed or Inconclusive end it).
 */
import type { z } from "zod";
import type { analysisSpec } from "../api/analysis-spec.ts";
import { parseDurationMs } from "../api/primitives.ts";
import type { analysisStatus } from "../api/status.ts";
import type { Measurement, MeasurementOutcome } from "./measure-metric.ts";

export type AnalysisSpec = z.output<typeof analysisSpec>;
export type AnalysisStatus = z.output<typeof analysisStatus>;
export type AnalysisPhase = AnalysisStatus["phase"];

/** Measurements a step or promotion analysis takes when `count` is not set. */
export const DEFAULT_ANALYSIS_COUNT = 3;
export const FINISHED_ANALYSIS_PHASES: readonly AnalysisPhase[] = [
  "Successful",
  "Failed",
  "Inconclusive",
  "Error",
];
const MAX_MESSAGE_LENGTH = 4096;
const MAX_LAST_MEASUREMENTS = 10;

export type AnalysisRole = {
  /** A background analysis runs during the whole rollout; without `count` it never succeeds. */
  background: boolean;
};

export function isAnalysisFinished(status: AnalysisStatus): boolean {
  return FINISHED_ANALYSIS_PHASES.includes(status.phase);
}

/** The measurements the analysis takes before it succeeds; undefined: until the rollout ends. */
export function analysisCount(spec: AnalysisSpec, role: AnalysisRole): number | undefined {
  return spec.count ?? (role.background ? undefined : DEFAULT_ANALYSIS_COUNT);
}

/** A new analysis: Pending until its first round, which is due after `initialDelay`. */
export function startAnalysis(spec: AnalysisSpec, now: Date): AnalysisStatus {
  const delayMs = spec.initialDelay === undefined ? 0 : parseDurationMs(spec.initialDelay);
  const first = new Date(now.getTime() + delayMs).toISOString();
  return {
    phase: "Pending",
    failures: 0,
    inconclusives: 0,
    consecutiveErrors: 0,
    measurements: 0,
    startedAt: now.toISOString(),
    nextMeasurementAt: first,
    message:
      delayMs > 0
        ? `waiting ${spec.initialDelay} of initial delay; first measurement at ${first}`
        : "first measurement due now",
  };
}

/** True when the analysis is still open and its next round is due. */
export function measurementDue(status: AnalysisStatus, spec: AnalysisSpec, now: Date): boolean {
  if (isAnalysisFinished(status)) return false;
  const due = status.nextMeasurementAt ?? firstMeasurementAt(status, spec);
  return due === undefined || now.getTime() >= Date.parse(due);
}

function firstMeasurementAt(status: AnalysisStatus, spec: AnalysisSpec): string | undefined {
  if (status.startedAt === undefined || spec.initialDelay === undefined) return undefined;
  return new Date(Date.parse(status.startedAt) + parseDurationMs(spec.initialDelay)).toISOString();
}

/** Milliseconds until the next round is due (0: now); undefined once the analysis is finished. */
export function nextRequeueMs(status: AnalysisStatus, now: Date): number | undefined {
  if (isAnalysisFinished(status)) return undefined;
  if (status.nextMeasurementAt === undefined) return 0;
  return Math.max(0, Date.parse(status.nextMeasurementAt) - now.getTime());
}

/** Folds one round (a measurement of every metric) into the status and decides the phase. */
export function recordMeasurements(
  status: AnalysisStatus,
  spec: AnalysisSpec,
  measurements: readonly Measurement[],
  now: Date,
  role: AnalysisRole,
): AnalysisStatus {
  if (isAnalysisFinished(status) || measurements.length === 0) return status;
  const some = (outcome: MeasurementOutcome) =>
    measurements.some((measurement) => measurement.outcome === outcome);
  const failed = some("Failed");
  const errored = some("Error");
  const inconclusive = !failed && !errored && some("Inconclusive");
  const counted = failed || !errored;

  const queryError = [
    ...new Set(
      measurements
        .filter((measurement) => measurement.outcome === "Error")
        .map((measurement) => measurement.error ?? measurement.message),
    ),
  ].join("; ");
  const failures = status.failures + (failed ? 1 : 0);
  const inconclusives = status.inconclusives + (inconclusive ? 1 : 0);
  const consecutiveErrors = errored ? status.consecutiveErrors + 1 : 0;
  const taken = status.measurements + (counted ? 1 : 0);
  const count = analysisCount(spec, role);
  const { queryError: _previousError, ...kept } = status;
  const next = {
    ...kept,
    ...(errored ? { queryError: clip(queryError) } : {}),
    failures,
    inconclusives,
    consecutiveErrors,
    measurements: taken,
    startedAt: status.startedAt ?? now.toISOString(),
    lastMeasurements: mergeLastMeasurements(status.lastMeasurements, measurements, spec),
  };
  const about = (outcome: MeasurementOutcome) =>
    measurements
      .filter((measurement) => measurement.outcome === outcome)
      .map((measurement) => measurement.message)
      .join("; ");

  if (failures > spec.failureLimit) {
    return finished(
      next,
      "Failed",
      `${about("Failed")} (${plural(failures, "failed measurement")}, failureLimit ${spec.failureLimit})`,
    );
  }
  if (consecutiveErrors > spec.consecutiveErrorLimit) {
    return finished(
      next,
      "Inconclusive",
      `${plural(consecutiveErrors, "round")} of query errors in a row (consecutiveErrorLimit ${spec.consecutiveErrorLimit}): ${about("Error")}`,
    );
  }
  if (inconclusives > spec.inconclusiveLimit) {
    return finished(
      next,
      "Inconclusive",
      `${about("Inconclusive")} (${plural(inconclusives, "inconclusive measurement")}, inconclusiveLimit ${spec.inconclusiveLimit})`,
    );
  }
  if (count !== undefined && taken >= count) {
    const tolerated = [
      failures > 0 ? plural(failures, "failure") : "",
      inconclusives > 0 ? plural(inconclusives, "inconclusive") : "",
    ].filter(Boolean);
    return finished(
      next,
      "Successful",
      `${plural(taken, "measurement")} taken${tolerated.length > 0 ? ` (${tolerated.join(" and ")} within limits)` : ", all passed"}`,
    );
  }

  const nextAt = new Date(now.getTime() + parseDurationMs(spec.interval)).toISOString();
  const round = errored
    ? `${clip(queryError)} (${failedRounds(consecutiveErrors, spec)}), measuring again`
    : failed
      ? about("Failed")
      : inconclusive
        ? about("Inconclusive")
        : "all metrics passed";
  const progress =
    count === undefined ? `${plural(taken, "measurement")} taken` : `${taken} of ${count} measurements taken`;
  return {
    ...next,
    phase: "Running",
    nextMeasurementAt: nextAt,
    message: clip(`${progress}: ${round}; next at ${nextAt}`),
  };
}

/**
 * "1 of 5 failed rounds": query errors in a row so far, of the number that makes the analysis
 * Inconclusive (consecutiveErrorLimit tolerated, one more pauses the rollout).
 */
export function failedRounds(consecutiveErrors: number, spec: Pick<AnalysisSpec, "consecutiveErrorLimit">) {
  return `${consecutiveErrors} of ${spec.consecutiveErrorLimit + 1} failed rounds`;
}

function finished(status: AnalysisStatus, phase: AnalysisPhase, message: string): AnalysisStatus {
  const { nextMeasurementAt: _, ...rest } = status;
  return { ...rest, phase, message: clip(message) };
}

/** The latest measurement of each metric still in the spec, in the spec's order. */
function mergeLastMeasurements(
  previous: AnalysisStatus["lastMeasurements"],
  round: readonly Measurement[],
  spec: AnalysisSpec,
): NonNullable<AnalysisStatus["lastMeasurements"]> {
  const latest = new Map((previous ?? []).map((entry) => [entry.metric, entry]));
  for (const measurement of round) {
    latest.set(measurement.metric, {
      metric: measurement.metric,
      // Status is JSON: ±Inf has no spelling there, the message carries it instead.
      ...(Number.isFinite(measurement.value) ? { value: measurement.value } : {}),
      ...(Number.isFinite(measurement.stableValue) ? { stableValue: measurement.stableValue } : {}),
      outcome: measurement.outcome,
      measuredAt: measurement.measuredAt,
    });
  }
  return spec.metrics
    .map((metric) => latest.get(metric.name))
    .filter((entry) => entry !== undefined)
    .slice(0, MAX_LAST_MEASUREMENTS);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function clip(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...`;
}
