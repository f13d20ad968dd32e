import { describe, expect, it } from "vitest";
import {
  diagnosticsDuring,
  diagnosticsOf,
  type RuntimeDiagnostics,
} from "../../../bench/runtime/runtime-metrics.ts";

const diagnostics = (overrides: Partial<RuntimeDiagnostics>): RuntimeDiagnostics => ({
  eventLoopDelayP99Ms: 0,
  eventLoopDelayMaxMs: 0,
  majorGcCount: 0,
  majorGcTotalMs: 0,
  minorGcCount: 0,
  minorGcTotalMs: 0,
  heapUsedMB: 0,
  heapTotalMB: 0,
  ...overrides,
});

describe("diagnosticsOf", () => {
  it.each([
    {
      name: "seconds as ms, bytes as MB, GC by kind",
      text: [
        'nodejs_eventloop_lag_p99_seconds{revision="bench"} 0.0123',
        'nodejs_eventloop_lag_max_seconds{revision="bench"} 0.04567',
        'nodejs_gc_duration_seconds_count{kind="minor",revision="bench"} 80',
        'nodejs_gc_duration_seconds_sum{kind="minor",revision="bench"} 0.031',
        'nodejs_gc_duration_seconds_count{kind="major",revision="bench"} 4',
        'nodejs_gc_duration_seconds_sum{kind="major",revision="bench"} 0.05',
        'nodejs_heap_size_used_bytes{revision="bench"} 52400000',
        'nodejs_heap_size_total_bytes{revision="bench"} 80960000',
      ].join("\n"),
      expected: diagnostics({
        eventLoopDelayP99Ms: 12.3,
        eventLoopDelayMaxMs: 45.67,
        majorGcCount: 4,
        majorGcTotalMs: 50,
        minorGcCount: 80,
        minorGcTotalMs: 31,
        heapUsedMB: 52.4,
        heapTotalMB: 81,
      }),
    },
    {
      name: "a metric not exported reads as zero",
      text: "agentry_inflight_requests 0",
      expected: diagnostics({}),
    },
  ])("$name", ({ text, expected }) => {
    expect(diagnosticsOf(text)).toEqual(expected);
  });
});

describe("diagnosticsDuring", () => {
  it("keeps the later scrape's gauges and narrows the GC totals to what happened in between", () => {
    const before = diagnostics({
      eventLoopDelayP99Ms: 9,
      majorGcCount: 2,
      majorGcTotalMs: 10.111,
      minorGcCount: 50,
      minorGcTotalMs: 20.004,
      heapUsedMB: 40,
    });
    const after = diagnostics({
      eventLoopDelayP99Ms: 3,
      eventLoopDelayMaxMs: 12,
      majorGcCount: 5,
      majorGcTotalMs: 15.5,
      minorGcCount: 80,
      minorGcTotalMs: 30.01,
      heapUsedMB: 52.4,
      heapTotalMB: 81,
    });
    expect(diagnosticsDuring(before, after)).toEqual({
      eventLoopDelayP99Ms: 3,
      eventLoopDelayMaxMs: 12,
      majorGcCount: 3,
      majorGcTotalMs: 5.39,
      minorGcCount: 30,
      minorGcTotalMs: 10.01,
      heapUsedMB: 52.4,
      heapTotalMB: 81,
    });
  });
});
