/** Per-request state shared by the hooks and the handlers. */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../auth/principal.ts";
import type { CallContext, UpstreamTime } from "../llm/model-calls.ts";
import { propagationHeaders } from "./request-id.ts";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
    /** Extra fields for the one log line written when the request finishes. */
    logFields: Record<string, unknown> | null;
    /** Time this request waited for the model and tools, set by `callContextFor`. */
    upstream: UpstreamTime | null;
    /** Aborts when the turn's deadline passes (plugins/turn-deadline.ts); null outside turns. */
    turnDeadline: AbortSignal | null;
  }
}

/**
 * The context for downstream calls of this request: an abort signal that fires if the client
 * disconnects before the answer is finished, the turn's deadline, and the id headers to propagate.
 */
export function callContextFor(request: FastifyRequest, reply: FastifyReply): CallContext {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableEnded) controller.abort(new Error("client closed the connection"));
  });
  const upstream: UpstreamTime = { ms: 0 };
  request.upstream = upstream;
  return {
    signal: controller.signal,
    headers: propagationHeaders(request.id, request.headers),
    upstream,
    deadline: request.turnDeadline ?? undefined,
  };
}
