/**
 * Answers for requests Node's HTTP parser refuses before Fastify sees them (headers too large,
 * malformed request line or headers, slow clients): written straight to the socket, in the
 * runtime's error format so clients get one shape of error whatever went wrong.
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { errorBody, RuntimeError } from "../errors.ts";

export function clientErrorOf(error: Error & { code?: string }): RuntimeError {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return new RuntimeError("HEADERS_TOO_LARGE", "the request headers are too large");
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new RuntimeError("REQUEST_TIMEOUT", "the request was not received in time");
    default:
      return new RuntimeError("INVALID_REQUEST", "the request is not valid HTTP");
  }
}

/** The raw HTTP/1.1 response; the request never got an id, so the answer makes one up. */
export function clientErrorResponse(error: RuntimeError, requestId: string = randomUUID()): string {
  const body = JSON.stringify(errorBody(error, requestId));
  return [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? "Error"}`,
    "content-type: application/json; charset=utf-8",
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    "connection: close",
    "",
    body,
  ].join("\r\n");
}
