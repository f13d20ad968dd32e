import { describe, expect, it } from "vitest";
import {
  type AnalysisSpec,
  type AnalysisStatus,
  measurementDue,
  nextRequeueMs,
  recordMeasurements,
  startAnalysis,
} from "../../../operator/analysis/analysis-progress.ts";
import type { Measurement, MeasurementOutcome } from "../../../operator/analysis/measure-metric.ts";
import { analysisSpec } from "../../../operator/api/analysis-spec.ts";
import { analysisStatus } from "../../../operator/api/status.ts";

const t0 = new Date("2026-12-01T10:00:00Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

function specOf(extra: Record<string, unknown> = {}): AnalysisSpec {
  return analysisSpec.parse({
    metrics: [
      { name: "errors", builtin: "errorRate", max: 0.05 },
      { name: "p95", builtin: "latencyP95Seconds", max: 2 },
    ],
    interval: "30s",
    ...extra,
  });
}

function round(
  seconds: number,
  errors: MeasurementOutcome,
  p95: MeasurementOutcome = "Successful",
): Measurement[] {
  const measuredAt = at(seconds).toISOString();
  const value = (outcome: MeasurementOutcome) =>
    outcome === "Successful" || outcome === "Failed" ? { value: outcome === "Failed" ? 0.5 : 0.01 } : {};
  return [
    {
      metric: "errors",
      ...value(errors),
      outcome: errors,
      measuredAt,
      message: `errors: ${errors.toLowerCase()}`,
    },
    { metric: "p95", ...value(p95), outcome: p95, measuredAt, message: `p95: ${p95.toLowerCase()}` },
  ];
}

/** Plays rounds 30 s apart, starting at 30 s, checking each status against the API schema. */
function play(
  spec: AnalysisSpec,
  rounds: Array<[MeasurementOutcome, MeasurementOutcome?]>,
  background = false,
) {
  let status = startAnalysis(spec, t0);
  const phases: string[] = [];
  rounds.forEach(([errors, p95], index) => {
    status = recordMeasurements(status, spec, round(30 * (index + 1), errors, p95), at(30 * (index + 1)), {
      background,
    });
    expect(() => analysisStatus.parse(status)).not.toThrow();
    phases.push(status.phase);
  });
  return { status, phases };
}

describe("startAnalysis and measurementDue", () => {
  it("is Pending and due at once without initialDelay", () => {
    const spec = specOf();
    const status = startAnalysis(spec, t0);
    expect(status).toEqual({
      phase: "Pending",
      failures: 0,
      inconclusives: 0,
      consecutiveErrors: 0,
      measurements: 0,
      startedAt: "2026-12-01T10:00:00.000Z",
      nextMeasurementAt: "2026-12-01T10:00:00.000Z",
      message: "first measurement due now",
    });
    expect(measurementDue(status, spec, t0)).toBe(true);
    expect(nextRequeueMs(status, t0)).toBe(0);
  });

  it("honours initialDelay, then the interval", () => {
    const spec = specOf({ initialDelay: "2m" });
    const status = startAnalysis(spec, t0);
    expect(status.message).toBe("waiting 2m of initial delay; first measurement at 2026-12-01T10:02:00.000Z");
    expect(measurementDue(status, spec, at(119))).toBe(false);
    expect(nextRequeueMs(status, at(60))).toBe(60_000);
    expect(measurementDue(status, spec, at(120))).toBe(true);

    const running = recordMeasurements(status, spec, round(120, "Successful"), at(120), {
      background: false,
    });
    expect(running.phase).toBe("Running");
    expect(running.nextMeasurementAt).toBe("2026-12-01T10:02:30.000Z");
    expect(measurementDue(running, spec, at(149))).toBe(false);
    expect(measurementDue(running, spec, at(150))).toBe(true);
    expect(nextRequeueMs(running, at(140))).toBe(10_000);
    expect(nextRequeueMs(running, at(200))).toBe(0);
  });

  it("falls back to startedAt + initialDelay when nextMeasurementAt is missing", () => {
    const spec = specOf({ initialDelay: 60 });
    const { nextMeasurementAt: _, ...status } = startAnalysis(spec, t0);
    expect(measurementDue(status, spec, at(59))).toBe(false);
    expect(measurementDue(status, spec, at(60))).toBe(true);
  });
});

describe("recordMeasurements", () => {
  it("succeeds after the default 3 measurements of a step analysis", () => {
    const { status, phases } = play(specOf(), [["Successful"], ["Successful"], ["Successful"]]);
    expect(phases).toEqual(["Running", "Running", "Successful"]);
    expect(status).toMatchObject({
      measurements: 3,
      failures: 0,
      message: "3 measurements taken, all passed",
    });
    expect(status.nextMeasurementAt).toBeUndefined();
    expect(measurementDue(status, specOf(), at(1000))).toBe(false);
    expect(nextRequeueMs(status, at(1000))).toBeUndefined();
  });

  it("takes count measurements when count is set", () => {
    const { phases } = play(
      specOf({ count: 5 }),
      Array.from({ length: 5 }, () => ["Successful"] as [MeasurementOutcome]),
    );
    expect(phases).toEqual(["Running", "Running", "Running", "Running", "Successful"]);
  });

  it("runs a background analysis without count until a verdict ends it", () => {
    const spec = specOf();
    const { phases, status } = play(
      spec,
      Array.from({ length: 20 }, () => ["Successful"] as [MeasurementOutcome]),
      true,
    );
    expect(new Set(phases)).toEqual(new Set(["Running"]));
    expect(status.measurements).toBe(20);
    expect(status.message).toBe(
      "20 measurements taken: all metrics passed; next at 2026-12-01T10:10:30.000Z",
    );
    expect(play(spec, [["Successful"], ["Failed"]], true).phases).toEqual(["Running", "Failed"]);
  });

  it("fails on the first failure with failureLimit 0, naming the metric", () => {
    const { status, phases } = play(specOf(), [["Successful"], ["Successful", "Failed"]]);
    expect(phases).toEqual(["Running", "Failed"]);
    expect(status).toMatchObject({
      failures: 1,
      measurements: 2,
      message: "p95: failed (1 failed measurement, failureLimit 0)",
    });
  });

  it("tolerates failureLimit failures; one more fails", () => {
    const spec = specOf({ failureLimit: 2, count: 10 });
    const { phases, status } = play(spec, [["Failed"], ["Successful"], ["Failed", "Failed"], ["Failed"]]);
    expect(phases).toEqual(["Running", "Running", "Running", "Failed"]);
    expect(status.failures).toBe(3);
    // A round with two failed metrics is one failed measurement.
    expect(status.message).toBe("errors: failed (3 failed measurements, failureLimit 2)");
  });

  it("succeeds with failures within the limit, and says so", () => {
    const { status } = play(specOf({ failureLimit: 1 }), [["Successful"], ["Failed"], ["Successful"]]);
    expect(status).toMatchObject({
      phase: "Successful",
      message: "3 measurements taken (1 failure within limits)",
    });
  });

  it("is Inconclusive past inconclusiveLimit", () => {
    const spec = specOf({ inconclusiveLimit: 1, count: 5 });
    const { phases, status } = play(spec, [["Inconclusive"], ["Successful"], ["Successful", "Inconclusive"]]);
    expect(phases).toEqual(["Running", "Running", "Inconclusive"]);
    expect(status).toMatchObject({
      inconclusives: 2,
      message: "p95: inconclusive (2 inconclusive measurements, inconclusiveLimit 1)",
    });
  });

  it("counts a round with a failed and an inconclusive metric as a failure only", () => {
    const { status } = play(specOf({ failureLimit: 1, count: 5 }), [["Failed", "Inconclusive"]]);
    expect(status).toMatchObject({ phase: "Running", failures: 1, inconclusives: 0 });
  });

  it("retries query errors without counting them, and is Inconclusive past consecutiveErrorLimit", () => {
    const spec = specOf({ consecutiveErrorLimit: 2 });
    const { phases, status } = play(spec, [["Error"], ["Error"], ["Error"]]);
    expect(phases).toEqual(["Running", "Running", "Inconclusive"]);
    expect(status).toMatchObject({
      measurements: 0,
      consecutiveErrors: 3,
      message: "3 rounds of query errors in a row (consecutiveErrorLimit 2): errors: error",
    });
  });

  it("resets consecutiveErrors on a round without errors; errors never add up to success", () => {
    const spec = specOf({ consecutiveErrorLimit: 1 });
    const { phases, status } = play(spec, [
      ["Error"],
      ["Successful"],
      ["Successful", "Error"],
      ["Successful"],
      ["Error"],
      ["Successful"],
    ]);
    expect(phases).toEqual(["Running", "Running", "Running", "Running", "Running", "Successful"]);
    expect(status.measurements).toBe(3);
    expect(status.consecutiveErrors).toBe(0);

    const errored = play(spec, [["Successful"], ["Error"]]).status;
    expect(errored.message).toBe(
      "1 of 3 measurements taken: errors: error (1 of 2 failed rounds), measuring again; next at 2026-12-01T10:01:30.000Z",
    );
  });

  it("counts a round with a failure and an error as a failure", () => {
    const { status } = play(specOf({ failureLimit: 3 }), [["Failed", "Error"]]);
    expect(status).toMatchObject({ phase: "Running", failures: 1, measurements: 1, consecutiveErrors: 1 });
  });

  it("keeps the latest measurement per metric, in the spec's order, without infinities", () => {
    const spec = specOf({ count: 5 });
    let status: AnalysisStatus = startAnalysis(spec, t0);
    status = recordMeasurements(status, spec, round(30, "Successful"), at(30), { background: false });
    status = recordMeasurements(
      status,
      spec,
      [
        {
          metric: "p95",
          value: Number.POSITIVE_INFINITY,
          outcome: "Failed",
          measuredAt: at(60).toISOString(),
          message: "p95: +Inf is above max 2",
        },
      ],
      at(60),
      { background: false },
    );
    expect(status.lastMeasurements).toEqual([
      { metric: "errors", value: 0.01, outcome: "Successful", measuredAt: "2026-12-01T10:00:30.000Z" },
      { metric: "p95", outcome: "Failed", measuredAt: "2026-12-01T10:01:00.000Z" },
    ]);
    expect(status.message).toBe("p95: +Inf is above max 2 (1 failed measurement, failureLimit 0)");
  });

  it("changes nothing once finished", () => {
    const spec = specOf();
    const { status } = play(spec, [["Failed"]]);
    expect(recordMeasurements(status, spec, round(60, "Successful"), at(60), { background: false })).toBe(
      status,
    );
  });
});
