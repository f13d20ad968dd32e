/**
 * V8 flags the operator runs with (Dockerfile.operator, `npm run operator`, tests, benchmark;
 * a unit test keeps them in step). A 2 MB young generation instead of V8's 16 MB default keeps the
 * operator's resident memory lower; `--optimize-for-size` makes V8 grow the old generation in small
 * steps and collect it sooner, so the garbage of a burst of reconciles does not pile up before a
 * full GC, for some more CPU (figures in docs/benchmarks.md). The old-generation limit is left to
 * Node, which sizes it from the container's memory.
 */
export const OPERATOR_NODE_FLAGS = ["--max-semi-space-size=2", "--optimize-for-size"] as const;
