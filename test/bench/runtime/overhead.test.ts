import { describe, expect, it } from "vitest";
import { type OverheadBuckets, overheadBucketsOf, overheadDuring } from "../../../bench/runtime/overhead.ts";

const buckets = (counts: [number, number][]): OverheadBuckets => new Map(counts);
const Inf = Number.POSITIVE_INFINITY;

describe("overheadBucketsOf", () => {
  it("reads the /v1/chat buckets of agentry_request_overhead_seconds, +Inf included", () => {
    const text = [
      "# HELP agentry_request_overhead_seconds What the runtime added",
      "# TYPE agentry_request_overhead_seconds histogram",
      'agentry_request_overhead_seconds_bucket{le="0.001",route="/v1/chat",revision="bench"} 5',
      'agentry_request_overhead_seconds_bucket{le="0.005",route="/v1/chat",revision="bench"} 6',
      'agentry_request_overhead_seconds_bucket{le="+Inf",route="/v1/chat",revision="bench"} 7',
      'agentry_request_overhead_seconds_bucket{le="0.001",route="/v1/chat/completions",revision="bench"} 3',
      'agentry_request_overhead_seconds_bucket{le="0.001",route="/livez",revision="bench"} 9',
      'agentry_request_overhead_seconds_sum{route="/v1/chat",revision="bench"} 0.2',
      'agentry_request_overhead_seconds_count{route="/v1/chat",revision="bench"} 7',
      'agentry_request_duration_seconds_bucket{le="0.001",route="/v1/chat",revision="bench"} 1',
    ].join("\n");
    expect(overheadBucketsOf(text)).toEqual(
      buckets([
        [0.001, 5],
        [0.005, 6],
        [Inf, 7],
      ]),
    );
  });

  it("is empty when the runtime has served no /v1/chat yet", () => {
    expect(overheadBucketsOf("agentry_inflight_requests 0\n").size).toBe(0);
  });
});

// The doc comment's worked example: 1000 requests, 400 under 0.5 ms, 900 under 1 ms, 990 under 5 ms.
const worked = buckets([
  [0.0005, 400],
  [0.001, 900],
  [0.005, 990],
  [Inf, 1000],
]);
const workedFigures = {
  requests: 1000,
  p50Ms: 0.6,
  p99Ms: 5,
  p50AtMostMs: 1,
  p99AtMostMs: 5,
  shareWithin1Ms: 0.9,
  shareWithin5Ms: 0.99,
};

describe("overheadDuring", () => {
  it.each([
    {
      name: "the worked example, from a fresh runtime",
      before: new Map(),
      after: worked,
      expected: workedFigures,
    },
    {
      name: "only what happened between the scrapes counts",
      before: buckets([
        [0.0005, 100],
        [0.001, 100],
        [0.005, 100],
        [Inf, 100],
      ]),
      after: buckets([
        [0.0005, 500],
        [0.001, 1000],
        [0.005, 1090],
        [Inf, 1100],
      ]),
      expected: workedFigures,
    },
    {
      name: "linear within a bucket, as histogram_quantile is",
      before: new Map(),
      after: buckets([
        [0.001, 0],
        [0.005, 100],
        [Inf, 100],
      ]),
      // p50: the 50th of 100 in (1, 5] ms is halfway, 3 ms; p99: 1 + 4 * 99/100.
      expected: {
        requests: 100,
        p50Ms: 3,
        p99Ms: 4.96,
        p50AtMostMs: 5,
        p99AtMostMs: 5,
        shareWithin1Ms: 0,
        shareWithin5Ms: 1,
      },
    },
    {
      name: "past the last finite bound: the quantile is that bound, the bound under which it fell is unknown",
      before: new Map(),
      after: buckets([
        [0.001, 0],
        [0.005, 0],
        [Inf, 10],
      ]),
      expected: {
        requests: 10,
        p50Ms: 5,
        p99Ms: 5,
        p50AtMostMs: Inf,
        p99AtMostMs: Inf,
        shareWithin1Ms: 0,
        shareWithin5Ms: 0,
      },
    },
  ])("$name", ({ before, after, expected }) => {
    expect(overheadDuring(before, after)).toEqual(expected);
  });

  it("has no shares when no request was served", () => {
    const none = buckets([
      [0.001, 4],
      [0.005, 4],
      [Inf, 4],
    ]);
    const figures = overheadDuring(none, none);
    expect(figures.requests).toBe(0);
    expect(figures.shareWithin1Ms).toBeNaN();
    expect(figures.shareWithin5Ms).toBeNaN();
  });
});
