/**
 * V8 flags the agent runtime runs with (Dockerfile.runtime, `npm run runtime`, tests, benchmark;
 * a unit test keeps them in step).
 *
 * A 4 MB young generation instead of V8's default (which grows to 32 MB under load). About a
 * fifth of what the runtime allocates is still reachable when a scavenge runs (per-request
 * closures held in library objects, weak references), so each scavenge copies that share of the
 * young generation while requests wait: with the default, 13-19 ms per scavenge about twice a
 * second at 500 requests a second; with 4 MB, 1.2-1.4 ms fifteen to twenty-five times a second,
 * for about the same total GC time. In `npm run bench:runtime` the latency added over the floor
 * at p99 went from 17-32 ms to 3-24 ms per round and the own-overhead p99 from 4.4 ms to
 * 3.0-4.0 ms; idle RSS fell by 7 MB. See docs/benchmarks.md, "Tail latency".
 */
export const RUNTIME_NODE_FLAGS = ["--max-semi-space-size=4"] as const;
