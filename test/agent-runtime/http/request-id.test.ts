import { describe, expect, it } from "vitest";
import { propagationHeaders, requestIdFrom, traceIdFrom } from "../../../agent-runtime/http/request-id.ts";

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("request ids", () => {
  it("keeps a sane incoming x-request-id", () => {
    expect(requestIdFrom({ "x-request-id": "abc-123", traceparent })).toBe("abc-123");
  });

  it("falls back to the traceparent's trace id", () => {
    expect(requestIdFrom({ traceparent })).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  });

  it("replaces unsafe or oversized ids with a fresh UUID", () => {
    for (const bad of ["has space", "x".repeat(129), "line\nbreak"]) {
      expect(requestIdFrom({ "x-request-id": bad })).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("rejects malformed and all-zero traceparents", () => {
    expect(traceIdFrom("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).toBeUndefined();
    expect(traceIdFrom("garbage")).toBeUndefined();
  });

  it("propagates the request id and a valid traceparent with its tracestate", () => {
    expect(propagationHeaders("rid", { traceparent, tracestate: "k=v" })).toEqual({
      "x-request-id": "rid",
      traceparent,
      tracestate: "k=v",
    });
    expect(propagationHeaders("rid", { traceparent: "bad", tracestate: "k=v" })).toEqual({
      "x-request-id": "rid",
    });
  });
});
