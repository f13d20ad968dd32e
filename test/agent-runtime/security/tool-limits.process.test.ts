/**
 * A model that asks for too much through the real runtime process: a streamed tool call with an
 * index of twenty million, two hundred tool calls in every answer, tools asked for after
 * `tool_choice: "none"`. Each is bounded, and the turn says so.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import {
  type LoopbackServer,
  listenOnLoopback,
  postJson,
  residentBytes,
  useRuntimeProcesses,
} from "./runtime-processes.ts";

const available = redisServerAvailable("runtime process (tool limits)");

const chunk = (delta: unknown, finishReason: string | null = null) => ({
  id: "chatcmpl-hostile",
  object: "chat.completion.chunk",
  created: 0,
  model: "test-model",
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});

describe.skipIf(!available)("tool-call limits of the runtime process", { timeout: 30_000 }, () => {
  const processes = useRuntimeProcesses();
  let runtime: RuntimeProcess;
  let tool: LoopbackServer;
  let toolRequests = 0;
  let inFlight = 0;
  let mostInFlight = 0;

  beforeAll(async () => {
    tool = await listenOnLoopback((_req, res) => {
      toolRequests++;
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('{"ok":true}');
      }, 20);
    });
    runtime = await processes.start({
      AGENTRY_TOOLS: JSON.stringify([
        { name: "lookup", url: `${tool.url}/lookup`, parameters: { type: "object" } },
      ]),
    });
  });
  afterAll(() => tool?.close());

  it("answers a streamed tool call with index 20,000,000 with 502 MODEL_BAD_RESPONSE, allocating nothing for it", async () => {
    const before = residentBytes(runtime.child.pid as number);
    processes.stub.enqueue({
      type: "raw_stream",
      events: [
        chunk({ role: "assistant", content: "" }),
        chunk({
          tool_calls: [
            {
              index: 20_000_000,
              id: "call_x",
              type: "function",
              function: { name: "lookup", arguments: "{}" },
            },
          ],
        }),
        chunk({}, "tool_calls"),
      ],
    });
    const started = performance.now();
    const answer = await postJson(`${runtime.url}/v1/chat`, { message: "go", stream: true });
    const elapsedMs = performance.now() - started;
    expect(answer.text).toContain("MODEL_BAD_RESPONSE");
    expect(answer.text).toContain("index 20000000");
    expect(residentBytes(runtime.child.pid as number) - before).toBeLessThan(100 * 1024 * 1024);
    expect(elapsedMs).toBeLessThan(1000);
    expect(toolRequests).toBe(0);
  });

  it("runs at most 16 tool calls per answer, 64 per turn, 4 at a time, and says which were refused", async () => {
    toolRequests = 0;
    mostInFlight = 0;
    const calls = Array.from({ length: 200 }, (_, index) => ({ name: "lookup", arguments: { q: index } }));
    processes.stub.setDefault({ type: "tool_call", calls });
    const answer = await postJson(`${runtime.url}/v1/chat`, { message: "go" });
    processes.stub.setDefault({ type: "reply" });
    // Four rounds of 16 reach the turn's 64; the fifth call to the model is without tools, and a
    // model that still asks for them with no text has not answered.
    expect(answer.status).toBe(502);
    expect(answer.json().error?.code).toBe("MODEL_BAD_RESPONSE");
    expect(toolRequests).toBe(64);
    expect(mostInFlight).toBeLessThanOrEqual(4);
    const lastToolResults = processes.stub.requests
      .at(-1)
      ?.body.messages?.filter((message) => message.role === "tool")
      .slice(-200);
    expect(lastToolResults?.at(-1)?.content).toBe(
      "error: not run: the agent's limit of 16 tool calls per answer was reached",
    );
    expect(processes.stub.requests.at(-1)?.body.tool_choice).toBe("none");
  });

  it("lists refused calls in the turn's result when the model then answers", async () => {
    const calls = Array.from({ length: 20 }, (_, index) => ({ name: "lookup", arguments: { q: index } }));
    processes.stub.enqueue({ type: "tool_call", calls });
    const answer = await postJson(`${runtime.url}/v1/chat`, { message: "go" });
    expect(answer.status).toBe(200);
    const toolCalls = answer.json().toolCalls as { ok: boolean; refused?: string }[];
    expect(toolCalls).toHaveLength(20);
    expect(toolCalls.filter((call) => call.refused === "round_limit")).toHaveLength(4);
    expect(toolCalls.filter((call) => call.ok)).toHaveLength(16);
  });
});
