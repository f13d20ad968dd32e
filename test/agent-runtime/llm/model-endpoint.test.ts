import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModelEndpoint, type ModelCall } from "../../../agent-runtime/llm/model-endpoint.ts";
import {
  ModelBadResponseError,
  ModelConnectionError,
  ModelHttpError,
} from "../../../agent-runtime/llm/model-http-errors.ts";
import { freeLoopbackPort } from "../../../agent-runtime/testing/free-ports.ts";

let server: Server;
let base: string;
let lastRequest: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string } | undefined;
const openStreams: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    lastRequest = {
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    };
    switch (req.url) {
      case "/v1/json":
        res.setHeader("content-type", "application/json");
        return res.end('{"ok":true}');
      case "/v1/not-json":
        return res.end("<html>");
      case "/v1/limited":
        res.writeHead(429, { "content-type": "application/json", "retry-after": "3" });
        return res.end('{"error":{"message":"slow down","type":"rate_limit"}}');
      case "/v1/broken":
        res.statusCode = 502;
        return res.end("bad gateway");
      case "/v1/sse":
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: first\n\n");
        openStreams.push(res);
        return;
      case "/v1/sse-multi":
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
        res.write(': keep-alive comment\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: error\ndata: boom\n\n');
        return res.end("data: unterminated");
      case "/v1/slow":
        return;
    }
    res.statusCode = 404;
    res.end("nope");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const call = (signal = new AbortController().signal): ModelCall => ({
  headers: { "x-request-id": "r-1" },
  signal,
});

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe("model endpoint transport", () => {
  const endpoint = () => createModelEndpoint({ baseURL: base, apiKey: "sk-1" });

  it("POSTs JSON under the base path with the key and the call's headers, and parses the answer", async () => {
    expect(await endpoint().postJson("/json", '{"q":1}', call())).toEqual({ ok: true });
    expect(lastRequest).toMatchObject({ method: "POST", url: "/v1/json", body: '{"q":1}' });
    expect(lastRequest?.headers).toMatchObject({
      authorization: "Bearer sk-1",
      "content-type": "application/json",
      "content-length": "7",
      "x-request-id": "r-1",
    });
  });

  it("sends no authorization header without a key", async () => {
    await createModelEndpoint({ baseURL: base, apiKey: undefined }).postJson("/json", "{}", call());
    expect(lastRequest?.headers.authorization).toBeUndefined();
  });

  it("throws ModelHttpError with status, headers and the parsed error body", async () => {
    const error = (await thrown(endpoint().postJson("/limited", "{}", call()))) as ModelHttpError;
    expect(error).toBeInstanceOf(ModelHttpError);
    expect(error.status).toBe(429);
    expect(error.header("retry-after")).toBe("3");
    expect(error.errorObject).toEqual({ message: "slow down", type: "rate_limit" });
    expect(error.message).toBe("the model endpoint answered HTTP 429: slow down");

    const text = (await thrown(endpoint().postJson("/broken", "{}", call()))) as ModelHttpError;
    expect(text.status).toBe(502);
    expect(text.body).toBe("bad gateway");
    expect(text.errorObject).toBeUndefined();
  });

  it("rejects a 2xx body that is not JSON as a bad response", async () => {
    expect(await thrown(endpoint().postJson("/not-json", "{}", call()))).toBeInstanceOf(
      ModelBadResponseError,
    );
  });

  it("reports a refused connection as ModelConnectionError", async () => {
    const closed = createModelEndpoint({
      baseURL: `http://127.0.0.1:${await freeLoopbackPort()}/v1`,
      apiKey: undefined,
    });
    const error = await thrown(closed.postJson("/json", "{}", call()));
    expect(error).toBeInstanceOf(ModelConnectionError);
    expect((error as Error).message).toMatch(/unreachable: .*ECONNREFUSED/);
  });

  it("rejects with an AbortError carrying the reason, before or while waiting for the answer", async () => {
    const early = new AbortController();
    early.abort(new Error("gone"));
    expect(await thrown(endpoint().postJson("/json", "{}", call(early.signal)))).toMatchObject({
      name: "AbortError",
      cause: { message: "gone" },
    });

    const late = new AbortController();
    const pending = endpoint().postJson("/slow", "{}", call(late.signal));
    setTimeout(() => late.abort(new Error("client left")), 30);
    expect(await thrown(pending)).toMatchObject({ name: "AbortError", cause: { message: "client left" } });
  });

  it("streams server-sent events as they arrive", async () => {
    const events = await endpoint().postEventStream("/sse", "{}", call());
    expect(lastRequest?.headers.accept).toBe("text/event-stream");
    expect((await events.next()).value).toEqual({ event: undefined, data: "first" });
    openStreams.shift()?.end("data: second\n\n");
    expect((await events.next()).value).toEqual({ event: undefined, data: "second" });
    expect((await events.next()).done).toBe(true);
  });

  it("joins multi-line data, keeps event names, skips comments, and flushes the last event at the end", async () => {
    const events = await collect(await endpoint().postEventStream("/sse-multi", "{}", call()));
    expect(events).toEqual([
      { event: undefined, data: '{"a":\n1}' },
      { event: "error", data: "boom" },
      { event: undefined, data: "unterminated" },
    ]);
  });

  it("cuts an event stream when aborted mid-stream", async () => {
    const controller = new AbortController();
    const events = await endpoint().postEventStream("/sse", "{}", call(controller.signal));
    await events.next();
    const server = openStreams.shift();
    const closed = new Promise((resolve) => server?.once("close", resolve));
    controller.abort(new Error("client left"));
    expect(await thrown(events.next())).toMatchObject({ name: "AbortError" });
    await closed;
  });

  it("closes the upstream request when the consumer stops reading early", async () => {
    const events = await endpoint().postEventStream("/sse", "{}", call());
    await events.next();
    const server = openStreams.shift();
    const closed = new Promise((resolve) => server?.once("close", resolve));
    await events.return(undefined);
    await closed;
  });

  it("refuses a stream request answered with something other than an event stream", async () => {
    const error = await thrown(endpoint().postEventStream("/json", "{}", call()));
    expect(error).toBeInstanceOf(ModelBadResponseError);
    expect((error as Error).message).toContain("application/json");
  });

  it("reads a status without a body for probes", async () => {
    expect(await endpoint().status("/missing", 1000)).toBe(404);
    expect(lastRequest?.method).toBe("GET");
  });
});
