/**
 * The transport under model calls, end to end through the model client: answers node:http and
 * undici refuse, compression, the size cap, slow bodies and egress proxies. Every failure must be
 * a typed runtime error, and the next call must work on a fresh connection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ModelConnection } from "../../../agent-runtime/llm/model-calls.ts";
import { createModelClient } from "../../../agent-runtime/llm/model-client.ts";
import type { ProxySettings } from "../../../agent-runtime/llm/model-transport.ts";
import { createMetrics } from "../../../agent-runtime/observability/metrics.ts";
import { type ForwardProxy, startForwardProxy } from "../../support/forward-proxy.ts";
import {
  type RawHttpServer,
  rawCompletionAnswer,
  startRawHttpServer,
} from "../../support/raw-http-server.ts";
import { type StubModelServer, startStubModelServer } from "../../support/stub-model-server.ts";
import { rejection } from "../test-runtime.ts";

const request = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
const streamRequest = JSON.stringify({
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  stream: true,
  stream_options: { include_usage: true },
});
const context = () => ({ signal: new AbortController().signal, headers: {} });
const NO_PROXY: ProxySettings = { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined };

let stub: StubModelServer;
let raw: RawHttpServer;
let proxy: ForwardProxy;
const clients: ModelConnection[] = [];

function client(
  baseURL: string,
  overrides: { timeoutMs?: number; maxResponseBytes?: number; proxy?: ProxySettings } = {},
): ModelConnection {
  const model = createModelClient({
    provider: { type: "openai", baseURL, apiKey: "sk-test", azure: undefined },
    timeoutMs: overrides.timeoutMs ?? 2000,
    maxRetries: 0,
    maxResponseBytes: overrides.maxResponseBytes,
    proxy: overrides.proxy ?? NO_PROXY,
    breaker: { failureThreshold: 100, cooldownMs: 1000 },
    metrics: createMetrics("r1", { processMetrics: false }),
  });
  clients.push(model);
  return model;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // read to the end
  }
}

beforeAll(async () => {
  stub = await startStubModelServer();
  proxy = await startForwardProxy();
});
afterAll(async () => {
  await stub.close();
  await proxy.close();
});
afterEach(async () => {
  stub.reset();
  proxy.seen.length = 0;
  await Promise.all(clients.splice(0).map((model) => model.close()));
  await raw?.close();
});

const JSON_HEAD = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n";
const malformedAnswers: [string, string][] = [
  [
    "Transfer-Encoding and Content-Length together",
    `${JSON_HEAD}transfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n3\r\n{}}\r\n0\r\n\r\n`,
  ],
  ["a folded header line", `${JSON_HEAD}x-note: a\r\n content-length: 3\r\ncontent-length: 2\r\n\r\n{}`],
  ["whitespace before a header's colon", `${JSON_HEAD}content-length : 2\r\n\r\n{}`],
  ["a NUL byte in a header value", `${JSON_HEAD}x-note: a\0b\r\ncontent-length: 2\r\n\r\n{}`],
];

describe("model transport", () => {
  it.each(malformedAnswers)(
    "refuses an answer with %s, then calls again on a fresh connection",
    async (_, answer) => {
      raw = await startRawHttpServer();
      raw.enqueue(answer, rawCompletionAnswer("fine"));
      const model = client(raw.url);
      const error = await rejection(model.complete(request, context()));
      expect(error.code).toBe("MODEL_BAD_RESPONSE");
      expect(error.status).toBe(502);
      expect(error.message).toMatch(/malformed HTTP response/);
      const next = await model.complete(request, context());
      expect(next.choices[0]?.message.content).toBe("fine");
      expect(raw.requests).toHaveLength(2);
      expect(raw.connections).toBe(2);
    },
  );

  it("decodes gzip answers, JSON and streamed, through the SDK and the pass-through", async () => {
    const model = client(stub.url);
    stub.enqueue(
      { type: "reply", gzip: true },
      { type: "reply", gzip: true },
      { type: "reply", gzip: true },
      { type: "reply", gzip: true },
    );
    expect((await model.complete(request, context())).choices[0]?.message.content).toBe("echo: hi");
    let streamed = "";
    for await (const chunk of await model.stream(streamRequest, context())) {
      streamed += chunk.choices[0]?.delta.content ?? "";
    }
    expect(streamed).toBe("echo: hi");
    expect(JSON.parse(await model.forward(request, context())).choices[0].message.content).toBe("echo: hi");
    const events: string[] = [];
    for await (const event of await model.forwardStream(streamRequest, context())) events.push(event.data);
    expect(events.some((data) => data.includes('"echo: "'))).toBe(true);
    expect(stub.requests.every((seen) => String(seen.headers["accept-encoding"]).includes("gzip"))).toBe(
      true,
    );
  });

  it("refuses a 50 MB answer at the size cap without holding it, declared or not, streamed or not", async () => {
    const model = client(stub.url, { maxResponseBytes: 1024 * 1024 });
    const before = process.memoryUsage();
    const size = 50 * 1024 * 1024;
    stub.enqueue({ type: "huge", bytes: size }, { type: "huge", bytes: size, declareLength: false });
    for (const call of [() => model.complete(request, context()), () => model.forward(request, context())]) {
      const error = await rejection(call());
      expect(error.code).toBe("MODEL_RESPONSE_TOO_LARGE");
      expect(error.status).toBe(502);
    }
    stub.enqueue(
      { type: "huge", bytes: size, declareLength: false },
      { type: "huge", bytes: size, declareLength: false },
    );
    const streams = [
      () => model.stream(streamRequest, context()),
      () => model.forwardStream(streamRequest, context()),
    ];
    for (const open of streams) {
      const error = await rejection(open().then(drain));
      expect(error.code).toBe("MODEL_RESPONSE_TOO_LARGE");
    }
    const after = process.memoryUsage();
    const grownMB = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20;
    expect(grownMB).toBeLessThan(40);
    await expect.poll(() => stub.stats.inflight).toBe(0);
    expect((await model.complete(request, context())).choices[0]?.message.content).toBe("echo: hi");
  });

  it("times out an answer that trickles in, and frees the connection", async () => {
    const model = client(stub.url, { timeoutMs: 300 });
    stub.enqueue({ type: "trickle", intervalMs: 50 }, { type: "trickle", intervalMs: 50 });
    const started = performance.now();
    const error = await rejection(model.complete(request, context()));
    expect(error.code).toBe("MODEL_TIMEOUT");
    expect(error.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(1500);
    expect((await rejection(model.forward(request, context()))).code).toBe("MODEL_TIMEOUT");
    await expect.poll(() => stub.stats.aborted).toBe(2);
    expect((await model.complete(request, context())).choices[0]?.message.content).toBe("echo: hi");
  });

  it("sends model calls through HTTP_PROXY", async () => {
    const model = client(stub.url, { proxy: { ...NO_PROXY, httpProxy: proxy.url } });
    expect((await model.complete(request, context())).choices[0]?.message.content).toBe("echo: hi");
    expect(await model.forward(request, context())).toContain("echo: hi");
    const target = new URL(stub.url).host;
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(proxy.seen.every((line) => line.includes(target))).toBe(true);
    expect(stub.stats.total).toBe(2);
  });

  it("sends https model calls through HTTPS_PROXY", async () => {
    const model = client("https://model.example.test/v1", {
      proxy: { ...NO_PROXY, httpsProxy: proxy.url },
    });
    const error = await rejection(model.complete(request, context()));
    expect(error.code).toBe("MODEL_UNAVAILABLE");
    expect(proxy.seen).toEqual(["CONNECT model.example.test:443"]);
  });

  it("reaches hosts listed in NO_PROXY directly", async () => {
    const model = client(stub.url, {
      proxy: { httpProxy: proxy.url, httpsProxy: proxy.url, noProxy: "localhost,127.0.0.1" },
    });
    expect((await model.complete(request, context())).choices[0]?.message.content).toBe("echo: hi");
    expect(proxy.seen).toEqual([]);
  });
});
