/**
 * Tool calls of the real runtime process against loopback tools that misbehave on purpose: a
 * redirect towards another address, a 200 MB answer, an error page full of secrets.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import { waitUntil } from "../test-runtime.ts";
import {
  type LoopbackServer,
  listenOnLoopback,
  postJson,
  residentBytes,
  useRuntimeProcesses,
} from "./runtime-processes.ts";

const available = redisServerAvailable("runtime process (tools)");

const HUGE_BYTES = 200 * 1024 * 1024;
const SECRET_PASSWORD = "hunter2-prod-db-7f3a";
const SECRET_DSN_PASSWORD = "s3cr3t-dsn-pw";
const ERROR_PAGE = [
  "Error: could not connect to the orders database",
  `  config: {"user":"app","password":"${SECRET_PASSWORD}"}`,
  `  dsn: postgres://app:${SECRET_DSN_PASSWORD}@db.internal:5432/orders`,
  "    at Client.connect (/srv/app/node_modules/pg/lib/client.js:132:17)",
  "    at OrdersService.find (/srv/app/src/orders.js:40:9)",
  "Z".repeat(10_000),
].join("\n");

/** Writes `bytes` of JSON-ish filler with backpressure; resolves with what was written when the peer went away. */
async function streamFiller(res: ServerResponse, bytes: number): Promise<number> {
  res.writeHead(200, { "content-type": "application/json" });
  const piece = Buffer.alloc(64 * 1024, "x");
  let written = 0;
  let closed = false;
  const gone = new Promise((resolve) => res.once("close", resolve)).then(() => {
    closed = true;
  });
  while (written < bytes && !closed) {
    written += piece.length;
    if (!res.write(piece)) await Promise.race([new Promise((resolve) => res.once("drain", resolve)), gone]);
  }
  res.end();
  return written;
}

describe.skipIf(!available)("tool calls of the runtime process", { timeout: 15_000 }, () => {
  const processes = useRuntimeProcesses();
  let runtime: RuntimeProcess;
  let metadata: LoopbackServer;
  let redirector: LoopbackServer;
  let huge: LoopbackServer;
  let broken: LoopbackServer;
  let metadataRequests = 0;
  const hugeWritten: number[] = [];

  beforeAll(async () => {
    metadata = await listenOnLoopback((_req, res) => {
      metadataRequests++;
      res.end(JSON.stringify({ AccessKeyId: "ASIA-from-the-metadata-endpoint" }));
    });
    redirector = await listenOnLoopback((_req, res) => {
      res.writeHead(307, { location: `${metadata.url}/latest/meta-data/iam/security-credentials/node` });
      res.end();
    });
    huge = await listenOnLoopback((_req, res) => {
      void streamFiller(res, HUGE_BYTES).then((written) => hugeWritten.push(written));
    });
    broken = await listenOnLoopback((_req, res) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(ERROR_PAGE);
    });
    const tool = (name: string, url: string) => ({ name, url, parameters: { type: "object" } });
    runtime = await processes.start({
      AGENTRY_TOOLS: JSON.stringify([
        tool("lookup", `${redirector.url}/lookup`),
        tool("export", `${huge.url}/export`),
        tool("orders", `${broken.url}/orders`),
      ]),
    });
  });
  afterAll(async () => {
    await Promise.all([metadata, redirector, huge, broken].map((server) => server?.close()));
  });

  /** One /v1/chat turn in which the model calls `tool`; returns the answer and what the model saw. */
  async function turnCalling(tool: string) {
    processes.stub.enqueue({ type: "tool_call", calls: [{ name: tool, arguments: {} }] });
    // The stub then echoes the tool result back as its answer: the worst case, a model repeating it all.
    const answer = await postJson(`${runtime.url}/v1/chat`, { message: `use ${tool}` });
    const last = processes.stub.requests.at(-1)?.body.messages ?? [];
    const seen = last.find((message) => message.role === "tool")?.content;
    return { answer, seenByModel: typeof seen === "string" ? seen : "" };
  }

  it("does not follow a tool's 307 to another address; the model gets a short error", async () => {
    const { answer, seenByModel } = await turnCalling("lookup");
    expect(answer.status).toBe(200);
    expect(answer.json().toolCalls).toEqual([{ name: "lookup", ok: false }]);
    expect(metadataRequests).toBe(0);
    expect(seenByModel).toBe("error: the tool answered HTTP 307, a redirect, which tool calls do not follow");
    expect(answer.text).not.toContain("ASIA-from-the-metadata-endpoint");
  });

  it("reads a 200 MB tool answer only up to the 16 KiB cap: memory stays flat, the rest is never downloaded", {
    timeout: 30_000,
  }, async () => {
    // Warm up the tool path so the reading below measures the answer, not first-use allocations.
    await turnCalling("lookup");
    const before = residentBytes(runtime.pid);
    const { answer, seenByModel } = await turnCalling("export");
    const after = residentBytes(runtime.pid);

    expect(answer.status).toBe(200);
    expect(after - before).toBeLessThan(100 * 1024 * 1024);
    // The runtime hung up: the tool wrote what loopback socket buffers hold, not 200 MB.
    await waitUntil(() => hugeWritten.length === 1, 5000);
    expect(hugeWritten[0]).toBeLessThan(HUGE_BYTES / 4);
    expect(answer.json().toolCalls).toEqual([{ name: "export", ok: true }]);
    expect(seenByModel).toMatch(/^x{16384}\n\[truncated at 16384 bytes\]$/);
  });

  it("shows the model only the status and a short redacted excerpt of a tool's 500, and the caller no raw body", async () => {
    const { answer, seenByModel } = await turnCalling("orders");
    expect(answer.status).toBe(200);
    expect(answer.json().toolCalls).toEqual([{ name: "orders", ok: false }]);

    expect(seenByModel.startsWith("error: the tool answered HTTP 500: Error: could not connect")).toBe(true);
    // AGENTRY_TOOL_ERROR_EXCERPT_CHARS defaults to 200 characters of the body.
    expect(seenByModel.length).toBeLessThanOrEqual("error: the tool answered HTTP 500: ".length + 201);
    for (const text of [seenByModel, answer.text]) {
      expect(text).not.toContain(SECRET_PASSWORD);
      expect(text).not.toContain(SECRET_DSN_PASSWORD);
      expect(text).not.toContain("Z".repeat(100));
    }
  });
});
