/**
 * The `fetch` the SDK and the pass-through run on: undici's `dispatcher.dispatch()` behind fetch's
 * signature. What it returns must be a standard Response; aborting must stop the HTTP request
 * itself, before the head and mid-body; a redirect is answered, never followed.
 */
import { Response as UndiciResponse } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createModelTransport, type ModelTransport } from "../../../agent-runtime/llm/model-transport.ts";
import { type RawHttpServer, startRawHttpServer } from "../../support/raw-http-server.ts";
import { type StubModelServer, startStubModelServer } from "../../support/stub-model-server.ts";

const NO_PROXY = { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined };
const request = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });

let stub: StubModelServer;
let raw: RawHttpServer | undefined;
let transport: ModelTransport;

beforeAll(async () => {
  stub = await startStubModelServer();
});
afterAll(async () => {
  await stub.close();
});
afterEach(async () => {
  stub.reset();
  await transport?.close();
  await raw?.close();
  raw = undefined;
});

function open(maxResponseBytes = 1024 * 1024): ModelTransport {
  transport = createModelTransport({ maxConnections: 4, maxResponseBytes, timeoutMs: 5000, proxy: NO_PROXY });
  return transport;
}

const post = (
  signal?: AbortSignal,
  headers: NonNullable<RequestInit["headers"]> = { "content-type": "application/json" },
) => ({
  method: "POST",
  headers,
  body: request,
  signal,
});

describe("dispatcher fetch", () => {
  it("answers a standard Response with the status, headers and JSON body", async () => {
    const fetch = open().fetch;
    const response = await fetch(`${stub.url}/chat/completions`, post());
    expect(response).toBeInstanceOf(UndiciResponse);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get("content-type")).toContain("application/json");
    const answer = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content).toBe("echo: hi");
    expect(response.bodyUsed).toBe(true);
  });

  it("sends headers given as a Headers object, a list of pairs or a record, with fetch's defaults", async () => {
    const fetch = open().fetch;
    const forms: NonNullable<RequestInit["headers"]>[] = [
      new Headers({ "content-type": "application/json", "x-request-id": "h1" }),
      [
        ["content-type", "application/json"],
        ["x-request-id", "h2"],
      ],
      { "Content-Type": "application/json", "X-Request-Id": "h3" },
    ];
    for (const headers of forms)
      await (await fetch(`${stub.url}/chat/completions`, post(undefined, headers))).text();
    expect(stub.requests.map((seen) => seen.headers["x-request-id"])).toEqual(["h1", "h2", "h3"]);
    for (const seen of stub.requests) {
      expect(seen.headers.accept).toBe("*/*");
      expect(seen.headers["accept-encoding"]).toBe("gzip, deflate");
    }
  });

  it("aborts the HTTP request while waiting for the answer's head", async () => {
    const fetch = open().fetch;
    stub.enqueue({ type: "hang" });
    const controller = new AbortController();
    const pending = fetch(`${stub.url}/chat/completions`, post(controller.signal));
    await expect.poll(() => stub.stats.inflight).toBe(1);
    controller.abort(new Error("caller gave up"));
    await expect(pending).rejects.toThrow("caller gave up");
    await expect.poll(() => stub.stats.aborted).toBe(1);
  });

  it("aborts the HTTP request mid-body, for a buffered answer and for a stream", async () => {
    const fetch = open().fetch;
    stub.enqueue({ type: "trickle", intervalMs: 20 });
    const buffered = new AbortController();
    const pending = fetch(`${stub.url}/chat/completions`, post(buffered.signal));
    setTimeout(() => buffered.abort(new Error("stop reading")), 150);
    await expect(pending).rejects.toThrow("stop reading");
    await expect.poll(() => stub.stats.aborted).toBe(1);

    stub.enqueue({ type: "reply", chunkDelayMs: 200 });
    const streamed = new AbortController();
    const body = JSON.stringify({ ...JSON.parse(request), stream: true });
    const response = await fetch(`${stub.url}/chat/completions`, { ...post(streamed.signal), body });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    streamed.abort(new Error("client left"));
    await expect(reader.read()).rejects.toThrow("client left");
    await expect.poll(() => stub.stats.aborted).toBe(2);
  });

  it("answers a redirect as it is, without following it", async () => {
    raw = await startRawHttpServer();
    raw.enqueue(
      "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:9/v1\r\ncontent-length: 0\r\n\r\n",
    );
    const fetch = open().fetch;
    const response = await fetch(`${raw.url}/chat/completions`, post());
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe("http://127.0.0.1:9/v1");
    expect(raw.requests).toHaveLength(1);
  });

  it("refuses a Request object and a body other than text or bytes, naming what it got", async () => {
    const fetch = open().fetch;
    const url = `${stub.url}/chat/completions`;
    await expect(fetch(new Request(url, post()))).rejects.toThrow(/not a Request object/);
    const form = new FormData();
    await expect(fetch(url, { method: "POST", body: form })).rejects.toThrow(/not FormData/);
    expect(stub.stats.total).toBe(0);
  });

  it("reports a connection failure as fetch does: a TypeError with undici's error as its cause", async () => {
    raw = await startRawHttpServer();
    const fetch = open().fetch;
    // No answer queued: the server closes the connection.
    const error = await fetch(`${raw.url}/chat/completions`, post()).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("fetch failed");
    expect(((error as Error).cause as { code?: string }).code).toMatch(/^UND_ERR_/);
  });
});
