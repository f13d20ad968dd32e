/**
 * One measurement of one metric: build the query, ask Prometheus (through the `QueryFn` passed
 * in), judge the answer. A query that fails is an Error; no data (no traffic) is Inconclusive; a
 * value outside a bound is Failed.
 */
import type { z } from "zod";
import type { metricSpec } from "../api/analysis-spec.ts";
import { type BuiltinMetric, builtinQuery, rateWindow, renderQueryTemplate } from "./builtin-queries.ts";
import type { QueryFn, QueryResult } from "./prometheus-client.ts";
import { evaluateSuccessCondition } from "./success-condition.ts";

export type MetricSpec = z.output<typeof metricSpec>;

export type MeasurementOutcome = "Successful" | "Failed" | "Inconclusive" | "Error";

export type Measurement = {
  metric: string;
  /** The new revision's value (or the raw query's); may be ±Infinity, never NaN. */
  value?: number;
  /** The stable revision's value, for maxRatioToStable. */
  stableValue?: number;
  outcome: MeasurementOutcome;
  /** RFC 3339. */
  measuredAt: string;
  /** The verdict in words, e.g. "errorRate 0.5 is above max 0.05". */
  message: string;
  /** Error only: why the query could not be answered, without the metric's name (shared by a round). */
  error?: string;
};

/** Whose series a measurement reads, and over which window. */
export type MeasurementContext = {
  namespace: string;
  agent: string;
  canaryRevision: string;
  /** Absent when there is nothing to compare with (maxRatioToStable then passes). */
  stableRevision?: string | undefined;
  /** The analysis interval; builtin rates use it as their window (at least one minute). */
  intervalMs: number;
};

/** Every metric of one round, measured in parallel. */
export function measureMetrics(
  metrics: readonly MetricSpec[],
  context: MeasurementContext,
  query: QueryFn,
  now: Date,
): Promise<Measurement[]> {
  return Promise.all(metrics.map((metric) => measureMetric(metric, context, query, now)));
}

/** A round that could not query at all (no Prometheus address, a missing Secret): all Error. */
export function errorMeasurements(metrics: readonly MetricSpec[], message: string, now: Date): Measurement[] {
  return metrics.map((metric) => ({
    metric: metric.name,
    outcome: "Error",
    measuredAt: now.toISOString(),
    message: `${metric.name}: ${message}`,
    error: message,
  }));
}

export async function measureMetric(
  metric: MetricSpec,
  context: MeasurementContext,
  query: QueryFn,
  now: Date,
): Promise<Measurement> {
  const measuredAt = now.toISOString();
  const verdict: Verdict = (outcome, message, values = {}) => ({
    metric: metric.name,
    ...values,
    outcome,
    measuredAt,
    message: `${metric.name}: ${message}`,
  });
  try {
    if (metric.builtin !== undefined)
      return await measureBuiltin(metric, metric.builtin, context, query, now, verdict);
    if (metric.query === undefined) return verdict("Error", "the metric has neither builtin nor query");
    const answer = await query(renderQueryTemplate(metric.query, context), now);
    if (answer.kind === "error") return queryFailed(verdict, answer.message);
    if (answer.kind === "noData") return verdict("Inconclusive", "the query returned no data");
    const value = answer.value;
    const broken = boundViolations(metric, value);
    if (metric.successCondition !== undefined && !evaluateSuccessCondition(metric.successCondition, value)) {
      broken.push(`${format(value)} does not meet "${metric.successCondition}"`);
    }
    if (broken.length > 0) return verdict("Failed", broken.join("; "), { value });
    return verdict("Successful", `${format(value)} passes`, { value });
  } catch (error) {
    // Bad template values, a condition outside the grammar: the measurement cannot be taken.
    return verdict("Error", (error as Error).message, { error: (error as Error).message });
  }
}

type Verdict = (
  outcome: MeasurementOutcome,
  message: string,
  values?: { value?: number; stableValue?: number; error?: string },
) => Measurement;

function queryFailed(verdict: Verdict, error: string, values: { value?: number } = {}): Measurement {
  return verdict("Error", `query failed: ${error}`, { ...values, error });
}

async function measureBuiltin(
  metric: MetricSpec,
  builtin: BuiltinMetric,
  context: MeasurementContext,
  query: QueryFn,
  now: Date,
  verdict: Verdict,
): Promise<Measurement> {
  const window = rateWindow(context.intervalMs);
  const scope = { namespace: context.namespace, agent: context.agent };
  const compareWithStable = metric.maxRatioToStable !== undefined && context.stableRevision !== undefined;
  const [canary, stable] = await Promise.all([
    query(builtinQuery(builtin, { ...scope, revision: context.canaryRevision }, window), now),
    compareWithStable
      ? query(builtinQuery(builtin, { ...scope, revision: context.stableRevision as string }, window), now)
      : Promise.resolve<QueryResult>({ kind: "noData" }),
  ]);
  if (canary.kind === "error") return queryFailed(verdict, canary.message);
  if (canary.kind === "noData") {
    return verdict(
      "Inconclusive",
      `no data for revision ${context.canaryRevision} over the last ${window} (no traffic yet?)`,
    );
  }
  const value = canary.value;
  const stableValue = stable.kind === "value" ? stable.value : undefined;
  const values = stableValue === undefined ? { value } : { value, stableValue };
  const broken = boundViolations(metric, value);
  const notes: string[] = [];
  if (metric.maxRatioToStable !== undefined) {
    const ratio = metric.maxRatioToStable;
    if (stableValue !== undefined) {
      const limit = ratio * stableValue;
      // A stable value of 0 allows nothing above 0: comparing against a perfect stable is strict.
      if (value > limit) {
        broken.push(`${format(value)} is above ${ratio} × stable ${format(stableValue)} = ${format(limit)}`);
      }
    } else if (stable.kind === "error" && broken.length === 0) {
      return verdict("Error", `query of the stable revision failed: ${stable.message}`, {
        ...values,
        error: stable.message,
      });
    } else if (context.stableRevision === undefined) {
      notes.push("no stable revision to compare with");
    } else if (stable.kind === "noData") {
      notes.push(`stable revision ${context.stableRevision} has no traffic to compare with`);
    }
  }
  if (broken.length > 0) return verdict("Failed", broken.join("; "), values);
  return verdict("Successful", [`${format(value)} passes`, ...notes].join("; "), values);
}

function boundViolations(metric: MetricSpec, value: number): string[] {
  const broken: string[] = [];
  if (metric.max !== undefined && value > metric.max)
    broken.push(`${format(value)} is above max ${metric.max}`);
  if (metric.min !== undefined && value < metric.min)
    broken.push(`${format(value)} is below min ${metric.min}`);
  return broken;
}

/** Four significant digits, Prometheus' spelling of infinities. */
export function format(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(Number(value.toPrecision(4)));
}
