/**
 * V8 flags the operator runs with (Dockerfile.operator, `npm run operator`, tests, benchmark;
 * a unit test keeps them in step). A 2 MB young generation instead of V8's 16 MB default keeps
 * the operator's resident memory about 40 MB lower at a few hundred agents. `--optimize-for-size`
 * makes V8 grow the old generation in small steps and collect it sooner: the garbage of a burst of
 * reconciles no longer piles up to ~150 MB of heap before a full GC, which took the peak at 1000
 * agents from 230-310 MB to 180-190 MB for about a third more CPU (docs/benchmarks.md). The
 * old-generation limit is left to Node, which sizes it from the container's memory.
 */
export const OPERATOR_NODE_FLAGS = ["--max-semi-space-size=2", "--optimize-for-size"] as const;
