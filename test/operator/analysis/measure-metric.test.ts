import { describe, expect, it } from "vitest";
import {
  errorMeasurements,
  type MeasurementContext,
  type MetricSpec,
  measureMetric,
  measureMetrics,
} from "../../../operator/analysis/measure-metric.ts";
import type { QueryFn, QueryResult } from "../../../operator/analysis/prometheus-client.ts";

const now = new Date("2026-12-01T10:00:00Z");
const context: MeasurementContext = {
  namespace: "agents",
  agent: "support-bot",
  canaryRevision: "canary1",
  stableRevision: "stable1",
  intervalMs: 60_000,
};

/** Answers by revision named in the query; records every query asked. */
function fakePrometheus(byRevision: Record<string, QueryResult>, fallback: QueryResult = { kind: "noData" }) {
  const asked: string[] = [];
  const query: QueryFn = async (promql, time) => {
    expect(time).toEqual(now);
    asked.push(promql);
    const revision = /revision="([^"]+)"/.exec(promql)?.[1];
    return (revision && byRevision[revision]) || fallback;
  };
  return { query, asked };
}

const value = (v: number): QueryResult => ({ kind: "value", value: v });
const builtin = (extra: Partial<MetricSpec>): MetricSpec => ({
  name: "errors",
  builtin: "errorRate",
  ...extra,
});

describe("measureMetric with a builtin metric", () => {
  it("passes within max and min, and fails outside them", async () => {
    const { query, asked } = fakePrometheus({ canary1: value(0.03) });
    expect(await measureMetric(builtin({ max: 0.05 }), context, query, now)).toEqual({
      metric: "errors",
      value: 0.03,
      outcome: "Successful",
      measuredAt: "2026-12-01T10:00:00.000Z",
      message: "errors: 0.03 passes",
    });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('namespace="agents",agent="support-bot",revision="canary1"');
    expect(asked[0]).toContain("[60s]");

    const above = await measureMetric(builtin({ max: 0.01 }), context, query, now);
    expect(above).toMatchObject({
      outcome: "Failed",
      value: 0.03,
      message: "errors: 0.03 is above max 0.01",
    });
    const below = await measureMetric(builtin({ min: 0.5 }), context, query, now);
    expect(below).toMatchObject({ outcome: "Failed", message: "errors: 0.03 is below min 0.5" });
  });

  it("uses the interval as the rate window, at least one minute", async () => {
    const { query, asked } = fakePrometheus({ canary1: value(1) });
    await measureMetric(builtin({ max: 2 }), { ...context, intervalMs: 5 * 60_000 }, query, now);
    await measureMetric(builtin({ max: 2 }), { ...context, intervalMs: 10_000 }, query, now);
    expect(asked[0]).toContain("[300s]");
    expect(asked[1]).toContain("[60s]");
  });

  it("is Inconclusive without data and Error when the query fails", async () => {
    const empty = fakePrometheus({});
    expect(await measureMetric(builtin({ max: 0.05 }), context, empty.query, now)).toMatchObject({
      outcome: "Inconclusive",
      message: "errors: no data for revision canary1 over the last 60s (no traffic yet?)",
    });
    const broken = fakePrometheus({ canary1: { kind: "error", message: "connection refused" } });
    const measurement = await measureMetric(builtin({ max: 0.05 }), context, broken.query, now);
    expect(measurement).toEqual({
      metric: "errors",
      outcome: "Error",
      measuredAt: "2026-12-01T10:00:00.000Z",
      message: "errors: query failed: connection refused",
      error: "connection refused",
    });
  });

  it("treats +Inf as a value above every max", async () => {
    const { query } = fakePrometheus({ canary1: value(Number.POSITIVE_INFINITY) });
    const latency = { name: "p95", builtin: "latencyP95Seconds" as const, max: 5 };
    expect(await measureMetric(latency, context, query, now)).toMatchObject({
      outcome: "Failed",
      message: "p95: +Inf is above max 5",
    });
  });

  describe("maxRatioToStable", () => {
    const ratio = builtin({ maxRatioToStable: 1.5 });

    it("compares the new revision with the stable one", async () => {
      const within = fakePrometheus({ canary1: value(0.15), stable1: value(0.1) });
      expect(await measureMetric(ratio, context, within.query, now)).toMatchObject({
        outcome: "Successful",
        value: 0.15,
        stableValue: 0.1,
      });
      expect(within.asked.some((promql) => promql.includes('revision="stable1"'))).toBe(true);

      const worse = fakePrometheus({ canary1: value(0.2), stable1: value(0.1) });
      expect(await measureMetric(ratio, context, worse.query, now)).toMatchObject({
        outcome: "Failed",
        value: 0.2,
        stableValue: 0.1,
        message: "errors: 0.2 is above 1.5 × stable 0.1 = 0.15",
      });
    });

    it("allows nothing above a stable value of 0", async () => {
      const { query } = fakePrometheus({ canary1: value(0.01), stable1: value(0) });
      expect(await measureMetric(ratio, context, query, now)).toMatchObject({
        outcome: "Failed",
        stableValue: 0,
      });
    });

    it("passes when the stable revision has no traffic, or there is no stable revision", async () => {
      const quiet = fakePrometheus({ canary1: value(0.4) });
      expect(await measureMetric(ratio, context, quiet.query, now)).toMatchObject({
        outcome: "Successful",
        message: "errors: 0.4 passes; stable revision stable1 has no traffic to compare with",
      });
      const first = fakePrometheus({ canary1: value(0.4) });
      const alone = { ...context, stableRevision: undefined };
      expect(await measureMetric(ratio, alone, first.query, now)).toMatchObject({
        outcome: "Successful",
        message: "errors: 0.4 passes; no stable revision to compare with",
      });
      expect(first.asked).toHaveLength(1);
    });

    it("is an Error when the stable query fails, unless a bound already failed", async () => {
      const failing = { kind: "error", message: "timeout" } as const;
      const { query } = fakePrometheus({ canary1: value(0.4), stable1: failing });
      expect(await measureMetric(ratio, context, query, now)).toMatchObject({
        outcome: "Error",
        value: 0.4,
        message: "errors: query of the stable revision failed: timeout",
        error: "timeout",
      });
      const bounded = builtin({ maxRatioToStable: 1.5, max: 0.1 });
      expect(await measureMetric(bounded, context, query, now)).toMatchObject({
        outcome: "Failed",
        message: "errors: 0.4 is above max 0.1",
      });
    });
  });

  it("refuses names that are not plain label values", async () => {
    const { query, asked } = fakePrometheus({});
    const measurement = await measureMetric(builtin({ max: 1 }), { ...context, agent: 'x"}' }, query, now);
    expect(measurement.outcome).toBe("Error");
    expect(measurement.message).toContain('agent "x\\"}" is not a plain name');
    expect(asked).toHaveLength(0);
  });
});

describe("measureMetric with a query", () => {
  const raw = (extra: Partial<MetricSpec>): MetricSpec => ({
    name: "custom",
    query:
      'sum(x{revision="{{canaryRevision}}",stable="{{stableRevision}}",ns="{{namespace}}",a="{{agent}}"})',
    ...extra,
  });

  it("fills the placeholders and judges successCondition with max and min", async () => {
    const { query, asked } = fakePrometheus({ canary1: value(2) });
    expect(
      await measureMetric(raw({ successCondition: "result >= 1 && result < 3" }), context, query, now),
    ).toEqual({
      metric: "custom",
      value: 2,
      outcome: "Successful",
      measuredAt: "2026-12-01T10:00:00.000Z",
      message: "custom: 2 passes",
    });
    expect(asked[0]).toBe('sum(x{revision="canary1",stable="stable1",ns="agents",a="support-bot"})');
    expect(await measureMetric(raw({ successCondition: "result > 2" }), context, query, now)).toMatchObject({
      outcome: "Failed",
      message: 'custom: 2 does not meet "result > 2"',
    });
    expect(
      await measureMetric(raw({ successCondition: "result > 1", max: 1.5 }), context, query, now),
    ).toMatchObject({
      outcome: "Failed",
      message: "custom: 2 is above max 1.5",
    });
  });

  it("is an Error when a placeholder cannot be filled, Inconclusive without data", async () => {
    const { query } = fakePrometheus({});
    const first = { ...context, stableRevision: undefined };
    expect(await measureMetric(raw({ max: 1 }), first, query, now)).toMatchObject({
      outcome: "Error",
      message: "custom: the query uses {{stableRevision}}, but there is no stable revision yet",
    });
    expect(await measureMetric(raw({ max: 1 }), context, query, now)).toMatchObject({
      outcome: "Inconclusive",
      message: "custom: the query returned no data",
    });
  });
});

describe("measureMetrics and errorMeasurements", () => {
  it("measures every metric of a round", async () => {
    const { query } = fakePrometheus({ canary1: value(0.5) });
    const round = await measureMetrics(
      [builtin({ max: 0.05 }), { name: "p95", builtin: "latencyP95Seconds", max: 1 }],
      context,
      query,
      now,
    );
    expect(round.map((measurement) => [measurement.metric, measurement.outcome])).toEqual([
      ["errors", "Failed"],
      ["p95", "Successful"],
    ]);
  });

  it("turns a round that could not query into an Error per metric", () => {
    expect(errorMeasurements([builtin({ max: 1 })], "no Prometheus address", now)).toEqual([
      {
        metric: "errors",
        outcome: "Error",
        measuredAt: "2026-12-01T10:00:00.000Z",
        message: "errors: no Prometheus address",
        error: "no Prometheus address",
      },
    ]);
  });
});
