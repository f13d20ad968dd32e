import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RuntimeError } from "../../../agent-runtime/errors.ts";
import type { ModelConnection } from "../../../agent-runtime/llm/model-calls.ts";
import { createModelClient } from "../../../agent-runtime/llm/model-client.ts";
import { createMetrics, type RuntimeMetrics } from "../../../agent-runtime/observability/metrics.ts";
import { type StubModelServer, startStubModelServer } from "../../support/stub-model-server.ts";
import { metricValue, rejection } from "../test-runtime.ts";

let stub: StubModelServer;
let metrics: RuntimeMetrics;

const requestObject = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };
const request = JSON.stringify(requestObject);
const context = () => ({ signal: new AbortController().signal, headers: { "x-request-id": "rid-1" } });

const opened: ModelConnection[] = [];

/** A turn's deadline, as plugins/turn-deadline.ts makes it: aborted after `ms` with the turn's error. */
function deadlineAfter(ms: number): AbortSignal {
  const controller = new AbortController();
  const error = new RuntimeError("TURN_DEADLINE_EXCEEDED", "the turn ran out of time");
  if (ms <= 0) controller.abort(error);
  else setTimeout(() => controller.abort(error), ms);
  return controller.signal;
}

function client(overrides: Partial<Parameters<typeof createModelClient>[0]> = {}): ModelConnection {
  const model = createModelClient({
    provider: { type: "openai", baseURL: stub.url, apiKey: "sk-test", azure: undefined },
    timeoutMs: 2000,
    maxRetries: 2,
    breaker: { failureThreshold: 3, cooldownMs: 60_000 },
    metrics,
    retryPolicy: { baseMs: 10, maxMs: 2000 },
    ...overrides,
  });
  opened.push(model);
  return model;
}

async function outcome(name: string): Promise<number> {
  return metricValue(await metrics.registry.metrics(), `agentry_llm_requests_total{outcome="${name}"`);
}

beforeAll(async () => {
  stub = await startStubModelServer();
});
afterAll(() => stub.close());
afterEach(async () => {
  await Promise.all(opened.splice(0).map((model) => model.close()));
});
beforeEach(() => {
  stub.reset();
  metrics = createMetrics("r1", { processMetrics: false });
});

describe("model client", () => {
  it("sends the request with the API key and propagated ids, and counts tokens", async () => {
    const completion = await client().complete(request, context());
    expect(completion.choices[0]?.message.content).toBe("echo: hi");
    const seen = stub.requests.at(-1);
    expect(seen?.headers.authorization).toBe("Bearer sk-test");
    expect(seen?.headers["x-request-id"]).toBe("rid-1");
    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'agentry_llm_tokens_total{kind="prompt"')).toBe(2);
    expect(metricValue(text, 'agentry_llm_tokens_total{kind="completion"')).toBe(2);
    expect(await outcome("success")).toBe(1);
  });

  it("retries 429 and 5xx, waiting as long as Retry-After says", async () => {
    stub.enqueue({ type: "error", status: 429, retryAfter: "0.3" }, { type: "error", status: 503 });
    const started = performance.now();
    const completion = await client().complete(request, context());
    expect(completion.choices[0]?.message.content).toBe("echo: hi");
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(stub.stats.total).toBe(3);
    expect(await outcome("rate_limited")).toBe(1);
    expect(await outcome("server_error")).toBe(1);
    expect(await outcome("success")).toBe(1);
  });

  it("makes exactly one call per attempt its policy allows: the SDK's own retries are off", async () => {
    stub.setDefault({ type: "error", status: 500 });
    await rejection(client({ maxRetries: 0 }).complete(request, context()));
    expect(stub.stats.total).toBe(1);
    stub.reset();
    stub.setDefault({ type: "error", status: 429, retryAfter: "0" });
    await rejection(
      client({ maxRetries: 0 }).stream(JSON.stringify({ ...requestObject, stream: true }), context()),
    );
    expect(stub.stats.total).toBe(1);
    stub.reset();
    stub.enqueue(
      { type: "error", status: 429, retryAfter: "0.1" },
      { type: "error", status: 500 },
      { type: "error", status: 502 },
    );
    const completion = await client({ maxRetries: 3 }).complete(request, context());
    expect(completion.choices[0]?.message.content).toBe("echo: hi");
    expect(stub.stats.total).toBe(4);
    stub.reset();
    stub.setDefault({ type: "error", status: 500 });
    await rejection(client({ maxRetries: 3 }).forward(request, context()));
    expect(stub.stats.total).toBe(4);
  });

  it("gives up after maxRetries with a 503 carrying Retry-After", async () => {
    stub.setDefault({ type: "error", status: 429, retryAfter: "0.2" });
    const error = await rejection(
      client({ maxRetries: 1, retryPolicy: { baseMs: 1, maxMs: 1500 } }).complete(request, context()),
    );
    expect(error.code).toBe("MODEL_UNAVAILABLE");
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBe(1);
    expect(stub.stats.total).toBe(2);
  });

  it("does not retry a Retry-After longer than it is worth waiting", async () => {
    stub.enqueue({ type: "error", status: 429, retryAfter: "120" });
    const error = await rejection(client().complete(request, context()));
    expect(error.retryAfterSeconds).toBe(120);
    expect(stub.stats.total).toBe(1);
  });

  it("does not retry a 400, and reports it as the caller's mistake", async () => {
    stub.enqueue({ type: "error", status: 400, body: '{"error":{"message":"bad model"}}' });
    const error = await rejection(client().complete(request, context()));
    expect(error.code).toBe("MODEL_INPUT_REJECTED");
    expect(stub.stats.total).toBe(1);
    expect(await outcome("client_error")).toBe(1);
  });

  it("turns a malformed body into MODEL_BAD_RESPONSE", async () => {
    stub.enqueue({ type: "malformed" });
    const error = await rejection(client().complete(request, context()));
    expect(error.code).toBe("MODEL_BAD_RESPONSE");
    expect(await outcome("bad_response")).toBe(1);
  });

  it("times out a slow endpoint without retrying it", async () => {
    stub.enqueue({ type: "reply", delayMs: 1000 });
    const started = performance.now();
    const error = await rejection(client({ timeoutMs: 150 }).complete(request, context()));
    expect(error.code).toBe("MODEL_TIMEOUT");
    expect(performance.now() - started).toBeLessThan(900);
    expect(await outcome("timeout")).toBe(1);
  });

  it("opens the breaker after repeated failures and then fails fast without calling the endpoint", async () => {
    stub.setDefault({ type: "error", status: 500 });
    const model = client({ maxRetries: 0 });
    for (let i = 0; i < 3; i++) await rejection(model.complete(request, context()));
    expect(model.breaker().state).toBe("open");
    const before = stub.stats.total;
    const error = await rejection(model.complete(request, context()));
    expect(error.code).toBe("MODEL_CIRCUIT_OPEN");
    expect(error.retryAfterSeconds).toBe(60);
    expect(stub.stats.total).toBe(before);
    expect(await outcome("circuit_open")).toBe(1);
  });

  it("closes the breaker again when the trial call after the cooldown succeeds", async () => {
    let now = 0;
    stub.setDefault({ type: "error", status: 500 });
    const model = client({
      maxRetries: 0,
      breaker: { failureThreshold: 1, cooldownMs: 1000 },
      now: () => now,
    });
    await rejection(model.complete(request, context()));
    expect(model.breaker().state).toBe("open");
    stub.reset();
    now = 1000;
    await model.complete(request, context());
    expect(model.breaker().state).toBe("closed");
  });

  it("aborts the HTTP call when the caller's signal fires", async () => {
    stub.enqueue({ type: "hang" });
    const controller = new AbortController();
    const pending = client().complete(request, { signal: controller.signal, headers: {} });
    await expect.poll(() => stub.stats.inflight).toBe(1);
    controller.abort();
    const error = await rejection(pending);
    expect(error.code).toBe("CLIENT_CLOSED");
    await expect.poll(() => stub.stats.aborted).toBe(1);
    expect(await outcome("aborted")).toBe(1);
  });

  it("streams chunks, with usage, and counts the stream once it ends", async () => {
    const stream = await client().stream(
      JSON.stringify({ ...requestObject, stream: true, stream_options: { include_usage: true } }),
      context(),
    );
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("echo: hi");
    expect(await outcome("success")).toBe(1);
    expect(metricValue(await metrics.registry.metrics(), 'agentry_llm_tokens_total{kind="completion"')).toBe(
      2,
    );
  });

  it("reports a malformed stream as a bad response", async () => {
    stub.enqueue({ type: "malformed" });
    const stream = await client().stream(JSON.stringify({ ...requestObject, stream: true }), context());
    const consume = async () => {
      for await (const _ of stream) {
        // drain
      }
    };
    const error = await rejection(consume());
    expect(error.code).toBe("MODEL_BAD_RESPONSE");
  });

  it("ends a stream at the turn's deadline with its error, cancelling the request, breaker untouched", async () => {
    stub.enqueue({ type: "reply", content: "a b c d e f g h i j k l m n o p q r s t", chunkDelayMs: 50 });
    const model = client({ breaker: { failureThreshold: 1, cooldownMs: 60_000 } });
    const stream = await model.stream(JSON.stringify({ ...requestObject, stream: true }), {
      ...context(),
      deadline: deadlineAfter(300),
    });
    let chunks = 0;
    const consume = async () => {
      for await (const _ of stream) chunks++;
    };
    const error = await rejection(consume());
    expect(error.code).toBe("TURN_DEADLINE_EXCEEDED");
    expect(chunks).toBeGreaterThan(1);
    await expect.poll(() => stub.stats.aborted).toBe(1);
    expect(await outcome("timeout")).toBe(1);
    expect(model.breaker().state).toBe("closed");
  });

  it("ends the wait before a retry at the turn's deadline, and makes no call once it has passed", async () => {
    stub.enqueue({ type: "error", status: 503, retryAfter: "2" });
    const model = client();
    const started = performance.now();
    const waiting = await rejection(model.complete(request, { ...context(), deadline: deadlineAfter(200) }));
    expect(waiting.code).toBe("TURN_DEADLINE_EXCEEDED");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(stub.stats.total).toBe(1);
    const late = await rejection(model.complete(request, { ...context(), deadline: deadlineAfter(0) }));
    expect(late.code).toBe("TURN_DEADLINE_EXCEEDED");
    expect(stub.stats.total, "no call after the deadline").toBe(1);
  });

  it("times a call out from when it was made, also while it waits for a connection", async () => {
    // A stream whose chunks keep its idle timeout from firing holds the one connection.
    stub.enqueue({ type: "reply", content: "a b c d e f g h i j k l m n o p q r s t", chunkDelayMs: 100 });
    const model = client({ maxConnections: 1, timeoutMs: 300, maxRetries: 0 });
    const holding = new AbortController();
    const stream = await model.stream(JSON.stringify({ ...requestObject, stream: true }), {
      signal: holding.signal,
      headers: {},
    });
    const consumed = (async () => {
      for await (const _ of stream) {
        // drain
      }
    })().catch((error: unknown) => error);
    const started = performance.now();
    const error = await rejection(model.complete(request, context()));
    expect(error.code).toBe("MODEL_TIMEOUT");
    expect(performance.now() - started).toBeLessThan(600);
    // The readiness probe has a connection of its own: it does not wait behind the stream.
    expect(await model.probe(1000)).toEqual({ ok: true, detail: "HTTP 200" });
    expect(stub.stats.inflight).toBe(1);
    holding.abort();
    await consumed;
    await expect.poll(() => stub.stats.inflight).toBe(0);
    expect(stub.stats.total, "the call that timed out was never sent").toBe(1);
  });

  it("probes the endpoint without a chat completion", async () => {
    expect(await client().probe(1000)).toEqual({ ok: true, detail: "HTTP 200" });
    expect(stub.stats.total).toBe(0);
    const dead = createModelClient({
      provider: { type: "openai", baseURL: "http://127.0.0.1:1/v1", apiKey: undefined, azure: undefined },
      timeoutMs: 500,
      maxRetries: 0,
      breaker: { failureThreshold: 3, cooldownMs: 1000 },
      metrics,
    });
    expect((await dead.probe(500)).ok).toBe(false);
    await dead.close();
  });
});
