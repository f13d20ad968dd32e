/**
 * The total deadline of a turn at the real runtime process: a model that keeps sending valid
 * chunks, fast enough for the idle timeout, is cut off at AGENTRY_TURN_DEADLINE_SECONDS with
 * TURN_DEADLINE_EXCEEDED (an error event, then the end of the stream), and its request is
 * cancelled; so is a slow answer, and a turn whose tool call outlasted the deadline makes no
 * further model call.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import {
  type LoopbackServer,
  listenOnLoopback,
  postJson,
  useRuntimeProcesses,
} from "../security/runtime-processes.ts";
import { waitUntil } from "../test-runtime.ts";
import { longAnswer, openStream, scrapeValue, timed } from "./streams.ts";

const available = redisServerAvailable("runtime process (turn deadline)");

/** What the stream said last, as `event` and the parsed `data` (the OpenAI wire format has no event). */
function lastEvent(stream: string): { event: string | undefined; data: { error?: { code?: string } } } {
  const blocks = stream.trim().split("\n\n");
  const last = blocks.at(-1) ?? "";
  const event = /^event: (.*)$/m.exec(last)?.[1];
  const data = /^data: (.*)$/m.exec(last)?.[1] ?? "{}";
  return { event, data: JSON.parse(data) };
}

describe.skipIf(!available)("the deadline of a turn at the runtime process", { timeout: 30_000 }, () => {
  const processes = useRuntimeProcesses();
  let runtime: RuntimeProcess;
  let tool: LoopbackServer;

  beforeAll(async () => {
    // Answers after 3 s, past the turn's deadline but within the tool's own timeout.
    tool = await listenOnLoopback((req, res) => {
      req.resume();
      setTimeout(() => {
        res.setHeader("content-type", "application/json");
        res.end('{"status":"slow but fine"}');
      }, 3000);
    });
    runtime = await processes.start({
      AGENTRY_TURN_DEADLINE_SECONDS: "2",
      // Longer than the deadline: only the deadline can end these turns in time.
      AGENTRY_PROVIDER_TIMEOUT_SECONDS: "5",
      AGENTRY_TOOLS: JSON.stringify([{ name: "lookup", url: `${tool.url}/lookup` }]),
    });
  });
  afterAll(() => tool?.close());
  afterEach(async () => {
    await waitUntil(() => processes.stub.stats.inflight === 0, 5000);
  });

  it("ends a stream that keeps going past it with an error event, and cancels the model request", async () => {
    // A valid chunk every 200 ms, for 20 s: the idle timeout never fires.
    processes.stub.setDefault({ type: "reply", content: longAnswer(100), chunkDelayMs: 200 });
    const timeoutsBefore = await scrapeValue(runtime.url, 'agentry_llm_requests_total{outcome="timeout"');
    const { value: stream, ms } = await timed(
      () => openStream(`${runtime.url}/v1/chat`, { message: "talk for a while" }).text,
    );
    expect(ms).toBeGreaterThan(1900);
    expect(ms, `the stream ended after ${Math.round(ms)} ms`).toBeLessThan(3000);
    expect(stream).toContain("event: delta");
    expect(lastEvent(stream)).toMatchObject({
      event: "error",
      data: { error: { code: "TURN_DEADLINE_EXCEEDED" } },
    });
    await waitUntil(() => processes.stub.stats.aborted === 1, 2000);
    expect(await scrapeValue(runtime.url, 'agentry_llm_requests_total{outcome="timeout"')).toBe(
      timeoutsBefore + 1,
    );
  });

  it("ends a pass-through stream the same way, in the OpenAI format", async () => {
    processes.stub.setDefault({ type: "reply", content: longAnswer(100), chunkDelayMs: 200 });
    const { value: stream, ms } = await timed(
      () =>
        openStream(`${runtime.url}/v1/chat/completions`, {
          messages: [{ role: "user", content: "talk for a while" }],
        }).text,
    );
    expect(ms).toBeLessThan(3000);
    expect(lastEvent(stream).data.error?.code).toBe("TURN_DEADLINE_EXCEEDED");
    await waitUntil(() => processes.stub.stats.aborted === 1, 2000);
  });

  it("answers 504 when the model has not answered by then", async () => {
    processes.stub.setDefault({ type: "reply", delayMs: 4000 });
    const { value: answer, ms } = await timed(() =>
      postJson(`${runtime.url}/v1/chat`, { message: "take your time" }),
    );
    expect(answer.status).toBe(504);
    expect(answer.json().error?.code).toBe("TURN_DEADLINE_EXCEEDED");
    expect(ms).toBeLessThan(3000);
    await waitUntil(() => processes.stub.stats.aborted === 1, 2000);
  });

  it("makes no further model call once a tool call outlasted it", async () => {
    processes.stub.enqueue({ type: "tool_call", calls: [{ name: "lookup", arguments: {} }] });
    const answer = await postJson(`${runtime.url}/v1/chat`, { message: "look it up" });
    expect(answer.status).toBe(504);
    expect(answer.json().error?.code).toBe("TURN_DEADLINE_EXCEEDED");
    expect(processes.stub.stats.total).toBe(1);
  });
});
