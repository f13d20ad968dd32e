/**
 * Request ids: an incoming `x-request-id` is kept when it looks sane, else the W3C `traceparent`
 * trace id is used, else a fresh UUID. Both headers are forwarded to the model and to tools.
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { validTracestate } from "./tracestate.ts";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:/=+-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of a valid W3C traceparent, or undefined (all-zero ids are invalid by spec). */
export function traceIdFrom(traceparent: string | undefined): string | undefined {
  const traceId = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase())?.[1] : undefined;
  return traceId && !/^0+$/.test(traceId) ? traceId : undefined;
}

export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers["x-request-id"];
  if (typeof given === "string" && SAFE_REQUEST_ID.test(given)) return given;
  const traceparent = headers.traceparent;
  return traceIdFrom(typeof traceparent === "string" ? traceparent : undefined) ?? randomUUID();
}

/** Headers to send downstream so the model's and tools' logs line up with ours. */
export function propagationHeaders(requestId: string, headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = { "x-request-id": requestId };
  const traceparent = headers.traceparent;
  if (typeof traceparent === "string" && traceIdFrom(traceparent)) out.traceparent = traceparent.trim();
  const tracestate = headers.tracestate;
  const valid = typeof tracestate === "string" && out.traceparent ? validTracestate(tracestate) : undefined;
  if (valid) out.tracestate = valid;
  return out;
}
