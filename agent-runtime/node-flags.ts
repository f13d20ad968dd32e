/**
 * V8 flags the agent runtime runs with (Dockerfile.runtime, `npm run runtime`, tests, benchmark;
 * a unit test keeps them in step).
 *
 * A 4 MB young generation instead of V8's default (which grows to 32 MB under load). About a
 * fifth of what a request allocates is still reachable from an earlier request's objects when a
 * scavenge runs, so each scavenge copies that fraction of the young generation and the request
 * that triggered it waits: with the default, 13-15 ms per scavenge about twice a second at 500
 * requests a second; with 4 MB, 1.2-1.4 ms fifteen to twenty times a second, for the same total
 * GC time. That took the runtime's own overhead p99 at 500 rps from 15-25 ms to 5-6 ms on the
 * benchmark's machine (2 MB: 7 ms, 8 MB: 6-9 ms); see docs/benchmarks.md.
 */
export const RUNTIME_NODE_FLAGS = ["--max-semi-space-size=4"] as const;
