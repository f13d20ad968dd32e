import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolDefinition } from "../../../agent-runtime/config/env-schema.ts";
import { RuntimeError } from "../../../agent-runtime/errors.ts";
import { createMetrics } from "../../../agent-runtime/observability/metrics.ts";
import { createToolExecutor } from "../../../agent-runtime/tools/tool-executor.ts";

type Seen = { path: string; body: string; headers: IncomingMessage["headers"] };
const seen: Seen[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    seen.push({ path: req.url ?? "", body, headers: req.headers });
    if (req.url === "/ok") return res.end(JSON.stringify({ answer: 42 }));
    if (req.url === "/fail") {
      res.statusCode = 500;
      return res.end("database down");
    }
    if (req.url === "/slow") return setTimeout(() => res.end("late"), 2000);
    if (req.url === "/agent") {
      const { message } = JSON.parse(body) as { message: string };
      return res.end(
        JSON.stringify({ message: { role: "assistant", content: `sub-agent heard: ${message}` } }),
      );
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const tool = (name: string, path: string, extra: Partial<ToolDefinition> = {}): ToolDefinition => ({
  name,
  url: `${base}${path}`,
  kind: "http",
  parameters: { type: "object" },
  ...extra,
});

function executor() {
  return createToolExecutor(
    [
      tool("ok", "/ok"),
      tool("fail", "/fail"),
      tool("slow", "/slow", { timeoutSeconds: 0.2 }),
      tool("agent", "/agent", { kind: "agent" }),
    ],
    {
      defaultTimeoutMs: 1000,
      errorExcerptChars: 200,
      metrics: createMetrics("r", { processMetrics: false }),
    },
  );
}
const context = () => ({
  signal: new AbortController().signal,
  headers: {
    "x-request-id": "rid-7",
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  },
});

describe("tool executor", () => {
  it("POSTs the arguments as JSON with the propagated ids and returns the body", async () => {
    const result = await executor().execute({ name: "ok", arguments: '{"q":"docs"}' }, context());
    expect(result).toEqual({ ok: true, content: '{"answer":42}' });
    const request = seen.at(-1);
    expect(request?.body).toBe('{"q":"docs"}');
    expect(request?.headers["x-request-id"]).toBe("rid-7");
    expect(request?.headers.traceparent).toContain("4bf92f35");
  });

  it("feeds an HTTP error back as the tool result instead of failing the turn", async () => {
    expect(await executor().execute({ name: "fail", arguments: "{}" }, context())).toEqual({
      ok: false,
      content: "error: the tool answered HTTP 500: database down",
    });
  });

  it("times out a slow tool", async () => {
    const started = performance.now();
    const result = await executor().execute({ name: "slow", arguments: "{}" }, context());
    expect(result).toEqual({ ok: false, content: "error: the tool did not answer within 200 ms" });
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it("reports unknown tools and bad arguments to the model", async () => {
    expect((await executor().execute({ name: "nope", arguments: "{}" }, context())).content).toContain(
      'no tool named "nope"',
    );
    expect((await executor().execute({ name: "ok", arguments: "[1" }, context())).ok).toBe(false);
  });

  it("calls another agent with {message} and returns its answer", async () => {
    const result = await executor().execute({ name: "agent", arguments: '{"message":"hello"}' }, context());
    expect(result).toEqual({ ok: true, content: "sub-agent heard: hello" });
  });

  it("aborts the whole turn when the client goes away", async () => {
    const controller = new AbortController();
    const pending = executor().execute(
      { name: "slow", arguments: "{}" },
      { signal: controller.signal, headers: {} },
    );
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(RuntimeError);
  });
});
