/**
 * A local OpenAI-compatible model endpoint for tests, benchmarks and the demo. It answers
 * `POST /v1/chat/completions` as JSON or SSE, can return tool calls, and can be told to be slow,
 * hang, fail with any status (429 with Retry-After, 500, ...) or send malformed bodies.
 *
 * With `azure` set it checks requests the way Azure OpenAI does instead: the deployment path
 * (`/openai/deployments/{deployment}/chat/completions`), the `api-version` query parameter and the
 * `api-key` header; anything else gets Azure's error answers.
 *
 * Behaviour per request: the next queued one-shot behaviour if any, else the default. The default
 * default echoes the last message, so answers are predictable without any scripting:
 * a user message "hi" gets "echo: hi"; a tool result "42" gets "tool said: 42".
 *
 * Other processes drive it over HTTP: POST /__stub/enqueue, POST /__stub/default, POST /__stub/reset,
 * GET /__stub/stats. It only ever listens on loopback.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";

export type StubToolCall = { name: string; arguments: unknown };

export type StubBehavior =
  | {
      type: "reply";
      content?: string;
      delayMs?: number;
      chunkDelayMs?: number;
      /** Streams only: cut the connection after this many chunks (a provider dying mid-answer). */
      dropAfterChunks?: number;
      /** Send the answer gzip-compressed, with `content-encoding: gzip`. */
      gzip?: boolean;
    }
  /** A 200 answer of `bytes` bytes (JSON, or one SSE event for streams), written in 64 KiB pieces. */
  | { type: "huge"; bytes: number; declareLength?: boolean }
  /** A 200 answer whose body arrives one byte every `intervalMs` and never ends. */
  | { type: "trickle"; intervalMs: number }
  | { type: "tool_call"; calls: StubToolCall[]; delayMs?: number; chunkDelayMs?: number }
  | { type: "error"; status: number; retryAfter?: string; body?: string; delayMs?: number }
  | { type: "malformed"; delayMs?: number }
  /** Streams: a 200 event stream of exactly these events' data (JSON values), then `[DONE]`. */
  | { type: "raw_stream"; events: unknown[] }
  /** Streams: a 200 event stream whose first event is an OpenAI-style error object. */
  | { type: "stream_error"; body: string }
  | { type: "hang" };

export type RecordedRequest = {
  path: string;
  body: ChatRequestBody;
  headers: Record<string, string | string[] | undefined>;
};

type ChatMessage = { role: string; content?: unknown; tool_call_id?: string };
type ChatRequestBody = {
  model?: string;
  messages?: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: unknown[];
  [key: string]: unknown;
};

export type StubStats = { total: number; inflight: number; completed: number; aborted: number };

export type StubModelServer = {
  /** Base URL including /v1, ready for AGENTRY_PROVIDER_BASE_URL. */
  url: string;
  /** `http://host:port`: the resource endpoint in Azure mode. */
  origin: string;
  port: number;
  /** Chat requests received, oldest first (bounded by `recordLimit`). */
  requests: RecordedRequest[];
  stats: StubStats;
  enqueue(...behaviors: StubBehavior[]): void;
  setDefault(behavior: StubBehavior): void;
  reset(): void;
  close(): Promise<void>;
};

export type StubModelServerOptions = {
  port?: number;
  host?: string;
  defaultBehavior?: StubBehavior;
  /** How many chat requests to remember; 0 for benchmarks. */
  recordLimit?: number;
  /** Behave like an Azure OpenAI resource with this one deployment. */
  azure?: StubAzureSettings;
};

export type StubAzureSettings = { deployment: string; apiVersion: string; apiKey: string };

const ECHO: StubBehavior = { type: "reply" };
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
  }
  return "";
}

function defaultContent(body: ChatRequestBody): string {
  const last = body.messages?.at(-1);
  if (!last) return "echo: ";
  if (last.role === "tool") return `tool said: ${textOf(last.content)}`;
  return `echo: ${textOf(last.content)}`;
}

function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === "" ? 0 : trimmed.split(/\s+/).length;
}

function usageOf(body: ChatRequestBody, completion: string) {
  const prompt = (body.messages ?? []).reduce(
    (sum, message) => sum + countWords(textOf(message.content)) + 1,
    0,
  );
  const completionTokens = countWords(completion);
  return {
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: prompt + completionTokens,
  };
}

function wait(ms: number | undefined): Promise<void> {
  return ms && ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Refuses a request the way Azure OpenAI does; undefined when it is well-formed. */
function azureRejection(
  req: IncomingMessage,
  url: URL,
  azure: StubAzureSettings,
  resourcePath: string,
): { status: number; error: { code: string; message: string } } | undefined {
  if (req.headers["api-key"] !== azure.apiKey) {
    return {
      status: 401,
      error: {
        code: "401",
        message: "Access denied due to invalid subscription key or wrong API endpoint.",
      },
    };
  }
  const version = url.searchParams.get("api-version");
  if (version === null) return { status: 404, error: { code: "404", message: "Resource not found" } };
  if (version !== azure.apiVersion) {
    return { status: 400, error: { code: "BadRequest", message: "API version not supported" } };
  }
  if (url.pathname !== resourcePath) {
    return {
      status: 404,
      error: {
        code: "DeploymentNotFound",
        message: "The API deployment for this resource does not exist.",
      },
    };
  }
  return undefined;
}

async function writeHuge(res: ServerResponse, bytes: number, stream: boolean, declareLength: boolean) {
  const head = stream ? 'data: {"choices":[],"pad":"' : '{"choices":[],"pad":"';
  const tail = stream ? '"}\n\n' : '"}';
  const headers: Record<string, string | number> = {
    "content-type": stream ? "text/event-stream" : "application/json",
  };
  if (declareLength) headers["content-length"] = bytes;
  res.writeHead(200, headers);
  res.write(head);
  const piece = Buffer.alloc(64 * 1024, "x");
  let left = bytes - head.length - tail.length;
  while (left > 0 && !res.destroyed) {
    const slice = left >= piece.length ? piece : piece.subarray(0, left);
    left -= slice.length;
    // Respect backpressure, so a reader that stops costs the stub no memory either.
    if (!res.write(slice)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
  }
  if (!res.destroyed) res.end(tail);
}

function writeTrickle(res: ServerResponse, intervalMs: number) {
  res.writeHead(200, { "content-type": "application/json" });
  const timer = setInterval(() => {
    if (res.destroyed) clearInterval(timer);
    else res.write(" ");
  }, intervalMs);
  res.once("close", () => clearInterval(timer));
}

function completionId() {
  return `chatcmpl-${randomUUID()}`;
}

function jsonCompletion(body: ChatRequestBody, behavior: StubBehavior & { type: "reply" | "tool_call" }) {
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? "stub-model";
  if (behavior.type === "tool_call") {
    return {
      id: completionId(),
      object: "chat.completion",
      created,
      model,
      choices: [
        {
          index: 0,
          finish_reason: "tool_calls",
          message: {
            role: "assistant",
            content: null,
            tool_calls: behavior.calls.map((call, index) => ({
              id: `call_${index}_${randomUUID().slice(0, 8)}`,
              type: "function",
              function: { name: call.name, arguments: JSON.stringify(call.arguments) },
            })),
          },
        },
      ],
      usage: usageOf(body, ""),
    };
  }
  const content = behavior.content ?? defaultContent(body);
  return {
    id: completionId(),
    object: "chat.completion",
    created,
    model,
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
    usage: usageOf(body, content),
  };
}

/** The SSE chunks of one answer, in order; the caller writes them with optional delays. */
function streamChunks(
  body: ChatRequestBody,
  behavior: StubBehavior & { type: "reply" | "tool_call" },
): unknown[] {
  const id = completionId();
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? "stub-model";
  const chunk = (delta: unknown, finishReason: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const chunks: unknown[] = [chunk({ role: "assistant", content: "" })];
  let completion = "";
  if (behavior.type === "tool_call") {
    behavior.calls.forEach((call, index) => {
      const args = JSON.stringify(call.arguments);
      const half = Math.ceil(args.length / 2);
      chunks.push(
        chunk({
          tool_calls: [
            { index, id: `call_${index}`, type: "function", function: { name: call.name, arguments: "" } },
          ],
        }),
      );
      // Split the arguments so clients must accumulate fragments, as with real providers.
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(0, half) } }] }));
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] }));
    });
    chunks.push(chunk({}, "tool_calls"));
  } else {
    completion = behavior.content ?? defaultContent(body);
    for (const piece of completion.match(/\S+\s*/g) ?? []) chunks.push(chunk({ content: piece }));
    chunks.push(chunk({}, "stop"));
  }
  if (body.stream_options?.include_usage) {
    chunks.push({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [],
      usage: usageOf(body, completion),
    });
  }
  return chunks;
}

export async function startStubModelServer(options: StubModelServerOptions = {}): Promise<StubModelServer> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK.has(host)) throw new Error(`the stub model server only listens on loopback, not ${host}`);
  const recordLimit = options.recordLimit ?? 500;
  let defaultBehavior: StubBehavior = options.defaultBehavior ?? ECHO;
  const queue: StubBehavior[] = [];
  const requests: RecordedRequest[] = [];
  const stats: StubStats = { total: 0, inflight: 0, completed: 0, aborted: 0 };

  async function answerChat(req: IncomingMessage, res: ServerResponse, path: string) {
    let body: ChatRequestBody;
    try {
      body = JSON.parse(await readBody(req)) as ChatRequestBody;
    } catch {
      return sendJson(res, 400, { error: { message: "body is not JSON", type: "invalid_request_error" } });
    }
    if (recordLimit > 0) {
      requests.push({ path, body, headers: req.headers });
      if (requests.length > recordLimit) requests.shift();
    }
    const behavior = queue.shift() ?? defaultBehavior;
    if (behavior.type === "hang") return;
    await wait("delayMs" in behavior ? behavior.delayMs : undefined);
    if (res.destroyed) return;
    switch (behavior.type) {
      case "error": {
        const headers: Record<string, string> = behavior.retryAfter
          ? { "retry-after": behavior.retryAfter }
          : {};
        const text =
          behavior.body ??
          JSON.stringify({ error: { message: `stub failure ${behavior.status}`, type: "server_error" } });
        res.writeHead(behavior.status, { "content-type": "application/json", ...headers });
        return res.end(text);
      }
      case "huge":
        return writeHuge(res, behavior.bytes, body.stream === true, behavior.declareLength ?? true);
      case "trickle":
        return writeTrickle(res, behavior.intervalMs);
      case "raw_stream":
        res.writeHead(200, { "content-type": "text/event-stream" });
        return res.end(
          `${behavior.events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join("")}data: [DONE]\n\n`,
        );
      case "stream_error":
        res.writeHead(200, { "content-type": "text/event-stream" });
        return res.end(`data: ${behavior.body}\n\n`);
      case "malformed":
        if (body.stream) {
          res.writeHead(200, { "content-type": "text/event-stream" });
          return res.end('data: {"choices": [ this is not json\n\n');
        }
        res.writeHead(200, { "content-type": "application/json" });
        return res.end('{"id": "chatcmpl-broken", "choices": [');
      default:
        break;
    }
    const gzip = behavior.type === "reply" && behavior.gzip === true;
    if (gzip) {
      const events = body.stream
        ? `${streamChunks(body, behavior)
            .map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`)
            .join("")}data: [DONE]\n\n`
        : JSON.stringify(jsonCompletion(body, behavior));
      res.writeHead(200, {
        "content-type": body.stream ? "text/event-stream" : "application/json",
        "content-encoding": "gzip",
      });
      return res.end(gzipSync(events));
    }
    if (!body.stream) return sendJson(res, 200, jsonCompletion(body, behavior));
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const dropAfter = behavior.type === "reply" ? behavior.dropAfterChunks : undefined;
    let sent = 0;
    for (const chunk of streamChunks(body, behavior)) {
      if (res.destroyed) return;
      if (dropAfter !== undefined && sent++ >= dropAfter) return void res.socket?.destroy();
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      await wait(behavior.chunkDelayMs);
    }
    res.end("data: [DONE]\n\n");
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string) {
    if (req.method === "GET" && path === "/__stub/stats") return sendJson(res, 200, stats);
    const raw = await readBody(req);
    const parsed = raw ? (JSON.parse(raw) as StubBehavior | StubBehavior[]) : undefined;
    if (path === "/__stub/enqueue" && parsed) queue.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    else if (path === "/__stub/default" && parsed && !Array.isArray(parsed)) defaultBehavior = parsed;
    else if (path === "/__stub/reset") reset();
    else return sendJson(res, 404, { error: { message: `unknown control path ${path}` } });
    sendJson(res, 200, { ok: true });
  }

  /** Clears the queue, the recorded requests and the counters (except requests still in flight). */
  function reset() {
    queue.length = 0;
    requests.length = 0;
    stats.total = stats.inflight;
    stats.completed = 0;
    stats.aborted = 0;
    defaultBehavior = options.defaultBehavior ?? ECHO;
  }

  const azure = options.azure;
  const chatPath = azure
    ? `/openai/deployments/${encodeURIComponent(azure.deployment)}/chat/completions`
    : "/v1/chat/completions";
  const modelsPath = azure ? "/openai/models" : "/v1/models";

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://stub");
    const path = url.pathname;
    if (azure && !path.startsWith("/__stub/")) {
      const rejection = azureRejection(req, url, azure, req.method === "GET" ? modelsPath : chatPath);
      if (rejection) return sendJson(res, rejection.status, { error: rejection.error });
    }
    if (path === chatPath && req.method === "POST") {
      stats.total++;
      stats.inflight++;
      res.once("close", () => {
        stats.inflight--;
        if (res.writableFinished) stats.completed++;
        else stats.aborted++;
      });
      answerChat(req, res, req.url ?? path).catch((error: Error) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: error.message } });
        else res.destroy();
      });
      return;
    }
    if (path === modelsPath && req.method === "GET") {
      return sendJson(res, 200, {
        object: "list",
        data: [{ id: "stub-model", object: "model", created: 0, owned_by: "agentry" }],
      });
    }
    if (path.startsWith("/__stub/")) {
      control(req, res, path).catch((error: Error) =>
        sendJson(res, 400, { error: { message: error.message } }),
      );
      return;
    }
    sendJson(res, 404, { error: { message: `no route ${req.method} ${path}` } });
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/v1`,
    origin: `http://${urlHost}:${port}`,
    port,
    requests,
    stats,
    enqueue: (...behaviors) => queue.push(...behaviors),
    setDefault: (behavior) => {
      defaultBehavior = behavior;
    },
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
