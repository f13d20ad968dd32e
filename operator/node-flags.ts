/**
 * V8 flags the operator runs with (Dockerfile.operator, `npm run operator`, tests, benchmark;
 * a unit test keeps them in step). A 2 MB young generation instead of V8's 16 MB default keeps
 * the operator's resident memory about 40 MB lower at a few hundred agents, for a little more
 * GC work; the old-generation limit is left to Node, which sizes it from the container's memory.
 */
export const OPERATOR_NODE_FLAGS = ["--max-semi-space-size=2"] as const;
