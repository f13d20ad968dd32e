/**
 * The SDK client with the caller's signal joined by a plain listener, not by `AbortSignal.any()`
 * (whose weak references keep every request's objects alive through young-generation GCs), while
 * a caller's abort still stops the request before its head and mid-stream, and the SDK's own
 * timeout still applies.
 */
import { APIConnectionTimeoutError, APIUserAbortError } from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createModelTransport, type ModelTransport } from "../../../agent-runtime/llm/model-transport.ts";
import { OpenAIClient } from "../../../agent-runtime/llm/openai-client.ts";
import { type StubModelServer, startStubModelServer } from "../../support/stub-model-server.ts";

const NO_PROXY = { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined };
const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });

let stub: StubModelServer;
let transport: ModelTransport;

beforeAll(async () => {
  stub = await startStubModelServer();
  transport = createModelTransport({
    maxConnections: 4,
    maxResponseBytes: 1 << 20,
    timeoutMs: 5000,
    proxy: NO_PROXY,
  });
});
afterAll(async () => {
  await transport.close();
  await stub.close();
});
afterEach(() => {
  stub.reset();
  vi.restoreAllMocks();
});

function client(timeout = 5000): OpenAIClient {
  return new OpenAIClient({ apiKey: "k", baseURL: stub.url, maxRetries: 0, timeout, fetch: transport.fetch });
}

const options = (signal: AbortSignal) => ({
  body,
  headers: { "content-type": "application/json" },
  signal,
});

describe("OpenAIClient", () => {
  it("answers a call with a caller's signal without joining signals by AbortSignal.any", async () => {
    const any = vi.spyOn(AbortSignal, "any");
    const completion = await client().post<{ choices: Array<{ message: { content: string } }> }>(
      "/chat/completions",
      options(new AbortController().signal),
    );
    expect(completion.choices[0]?.message.content).toContain("hi");
    expect(any).not.toHaveBeenCalled();
  });

  it("stops the request when the caller aborts while waiting for the answer", async () => {
    stub.enqueue({ type: "hang" });
    const controller = new AbortController();
    const pending = client().post("/chat/completions", options(controller.signal));
    await expect.poll(() => stub.stats.inflight).toBe(1);
    controller.abort(new Error("caller gave up"));
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
    await expect.poll(() => stub.stats.aborted).toBe(1);
  });

  it("stops a stream when the caller aborts after its first chunk", async () => {
    stub.enqueue({ type: "reply", chunkDelayMs: 200 });
    const controller = new AbortController();
    const stream = await client().post<AsyncIterable<unknown>>("/chat/completions", {
      ...options(controller.signal),
      body: JSON.stringify({ ...JSON.parse(body), stream: true }),
      stream: true,
    });
    const chunks = stream[Symbol.asyncIterator]();
    await chunks.next();
    controller.abort(new Error("client left"));
    // The SDK ends a stream its caller aborted (or throws, if the abort lands mid-read).
    const after = await chunks.next().catch((error: unknown) => error);
    expect(after).not.toMatchObject({ done: false });
    await expect.poll(() => stub.stats.aborted).toBe(1);
  });

  it("still times out by the SDK's timeout", async () => {
    stub.enqueue({ type: "hang" });
    const pending = client(200).post("/chat/completions", options(new AbortController().signal));
    await expect(pending).rejects.toBeInstanceOf(APIConnectionTimeoutError);
  });
});
