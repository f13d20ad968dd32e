/**
 * The runtime's /metrics as the benchmark reads them: where its own time went (event-loop stalls,
 * GC, heap) and its overhead histogram.
 */
import { type OverheadBuckets, overheadBucketsOf } from "./overhead.ts";
import { round2 } from "./phase-summary.ts";

export type RuntimeDiagnostics = {
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  majorGcCount: number;
  majorGcTotalMs: number;
  minorGcCount: number;
  minorGcTotalMs: number;
  heapUsedMB: number;
  heapTotalMB: number;
};

/** One scrape of the runtime's /metrics. Each scrape also resets the event-loop delay histogram. */
export async function runtimeMetrics(
  url: string,
): Promise<{ diagnostics: RuntimeDiagnostics; overhead: OverheadBuckets }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return { diagnostics: diagnosticsOf(text), overhead: overheadBucketsOf(text) };
}

export function diagnosticsOf(text: string): RuntimeDiagnostics {
  const sample = (prefix: string, label = "") => {
    const line = text
      .split("\n")
      .find((candidate) => candidate.startsWith(prefix) && candidate.includes(label));
    return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
  };
  const ms = (seconds: number) => Math.round(seconds * 100_000) / 100;
  return {
    eventLoopDelayP99Ms: ms(sample("nodejs_eventloop_lag_p99_seconds")),
    eventLoopDelayMaxMs: ms(sample("nodejs_eventloop_lag_max_seconds")),
    majorGcCount: sample("nodejs_gc_duration_seconds_count{", 'kind="major"'),
    majorGcTotalMs: ms(sample("nodejs_gc_duration_seconds_sum{", 'kind="major"')),
    minorGcCount: sample("nodejs_gc_duration_seconds_count{", 'kind="minor"'),
    minorGcTotalMs: ms(sample("nodejs_gc_duration_seconds_sum{", 'kind="minor"')),
    heapUsedMB: Math.round(sample("nodejs_heap_size_used_bytes") / 1e5) / 10,
    heapTotalMB: Math.round(sample("nodejs_heap_size_total_bytes") / 1e5) / 10,
  };
}

/**
 * The diagnostics of the later scrape with its GC figures, totals since start, narrowed to what
 * happened between the two scrapes.
 */
export function diagnosticsDuring(before: RuntimeDiagnostics, after: RuntimeDiagnostics): RuntimeDiagnostics {
  return {
    ...after,
    majorGcCount: after.majorGcCount - before.majorGcCount,
    majorGcTotalMs: round2(after.majorGcTotalMs - before.majorGcTotalMs),
    minorGcCount: after.minorGcCount - before.minorGcCount,
    minorGcTotalMs: round2(after.minorGcTotalMs - before.minorGcTotalMs),
  };
}
