/**
 * V8 flags the agent runtime runs with (Dockerfile.runtime, `npm run runtime`, tests, benchmark;
 * a unit test keeps them in step).
 *
 * A 4 MB young generation instead of V8's default (which grows to 32 MB under load): part of what
 * the runtime allocates per request is still reachable when a scavenge runs, and each scavenge
 * copies it while requests wait, so many small scavenges keep the tail latency short where a few
 * large ones stretch it. Measured in docs/benchmarks.md, "Tail latency".
 */
export const RUNTIME_NODE_FLAGS = ["--max-semi-space-size=4"] as const;
