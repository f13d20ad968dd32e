/**
 * Request headers at the real runtime process: which `tracestate` reaches the model and tools, and
 * how requests Node's HTTP parser refuses are answered.
 */
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawExchange } from "../../support/raw-exchange.ts";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import { type LoopbackServer, listenOnLoopback, postJson, useRuntimeProcesses } from "./runtime-processes.ts";

const available = redisServerAvailable("runtime process (requests)");

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function parseAnswer(answer: string) {
  const headEnd = answer.indexOf("\r\n\r\n");
  const [statusLine, ...headerLines] = answer.slice(0, headEnd).split("\r\n");
  const headers = Object.fromEntries(
    headerLines.map((line) => [
      line.slice(0, line.indexOf(":")).toLowerCase(),
      line.slice(line.indexOf(":") + 1).trim(),
    ]),
  );
  return {
    statusLine,
    headers,
    body: JSON.parse(answer.slice(headEnd + 4)) as { error: Record<string, unknown> },
  };
}

describe.skipIf(!available)("request headers at the runtime process", { timeout: 15_000 }, () => {
  const processes = useRuntimeProcesses();
  let runtime: RuntimeProcess;
  let tool: LoopbackServer;
  const toolHeaders: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    tool = await listenOnLoopback((req, res) => {
      toolHeaders.push(req.headers);
      req.resume();
      res.setHeader("content-type", "application/json");
      res.end('{"status":"shipped"}');
    });
    runtime = await processes.start({
      AGENTRY_TOOLS: JSON.stringify([{ name: "track", url: `${tool.url}/track` }]),
    });
  });
  afterAll(() => tool?.close());

  /** A turn in which the model calls the tool; returns the tracestate the model calls and the tool got. */
  async function forwardedTracestate(tracestate: string) {
    toolHeaders.length = 0;
    processes.stub.enqueue({ type: "tool_call", calls: [{ name: "track", arguments: {} }] });
    const answer = await postJson(
      `${runtime.url}/v1/chat`,
      { message: "where is my parcel?" },
      { traceparent: TRACEPARENT, tracestate },
    );
    expect(answer.status).toBe(200);
    const modelCalls = processes.stub.requests;
    expect(modelCalls).toHaveLength(2);
    expect(toolHeaders).toHaveLength(1);
    // traceparent itself is always forwarded: only the state is in question.
    for (const headers of [...modelCalls.map((call) => call.headers), ...toolHeaders]) {
      expect(headers.traceparent).toBe(TRACEPARENT);
    }
    return {
      model: modelCalls.map((call) => call.headers.tracestate),
      tool: toolHeaders[0]?.tracestate,
    };
  }

  it("forwards a valid tracestate to the model and to tools", async () => {
    expect(await forwardedTracestate("rojo=00f067aa0ba902b7, congo@vendor=t61rcWkgMzE")).toEqual({
      model: [
        "rojo=00f067aa0ba902b7,congo@vendor=t61rcWkgMzE",
        "rojo=00f067aa0ba902b7,congo@vendor=t61rcWkgMzE",
      ],
      tool: "rojo=00f067aa0ba902b7,congo@vendor=t61rcWkgMzE",
    });
  });

  it.each([
    ["8 KB long", `vendor=${"a".repeat(8 * 1024)}`],
    ["not a key=value list", "SELECT * FROM users; <script>alert(1)</script>"],
  ])("drops a tracestate that is %s before the model and tools see it", async (_name, tracestate) => {
    expect(await forwardedTracestate(tracestate)).toEqual({
      model: [undefined, undefined],
      tool: undefined,
    });
  });

  it("answers oversized headers with 431 in the runtime's error format", async () => {
    const answer = parseAnswer(
      await rawExchange(
        runtime.url,
        `GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      ),
    );
    expect(answer.statusLine).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(answer.headers.connection).toBe("close");
    expect(answer.body.error).toEqual({
      code: "HEADERS_TOO_LARGE",
      type: "invalid_request_error",
      message: "the request headers are too large",
      requestId: answer.headers["x-request-id"],
    });
  });

  it("answers a header the parser refuses with 400 in the runtime's error format", async () => {
    const answer = parseAnswer(
      await rawExchange(runtime.url, "POST /v1/chat HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n"),
    );
    expect(answer.statusLine).toBe("HTTP/1.1 400 Bad Request");
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(answer.body.error).toEqual({
      code: "INVALID_REQUEST",
      type: "invalid_request_error",
      message: "the request is not valid HTTP",
      requestId: answer.headers["x-request-id"],
    });
    // The runtime still serves the next client.
    expect((await fetch(`${runtime.url}/livez`)).status).toBe(200);
  });
});
