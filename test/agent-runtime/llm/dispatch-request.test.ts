/**
 * One request through `dispatcher.dispatch()` with the runtime's own handler: the answer's status,
 * headers and body as `dispatcher.request()` gives them; an informational answer skipped; aborts
 * before the head and mid-body; a body drained under its bound keeps the connection, one past it
 * or destroyed closes it.
 */
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { dispatchRequest, type ResponseBody } from "../../../agent-runtime/llm/dispatch-request.ts";
import {
  type RawHttpServer,
  rawCompletionAnswer,
  startRawHttpServer,
} from "../../support/raw-http-server.ts";
import { startStubModelServer } from "../../support/stub-model-server.ts";

let raw: RawHttpServer | undefined;
let agent: Agent | undefined;

afterEach(async () => {
  await agent?.close();
  await raw?.close();
  agent = undefined;
  raw = undefined;
});

async function open(): Promise<{ server: RawHttpServer; dispatcher: Agent }> {
  raw = await startRawHttpServer();
  agent = new Agent({ connections: 1 });
  return { server: raw, dispatcher: agent };
}

function get(server: RawHttpServer, signal?: AbortSignal) {
  const url = new URL(server.url);
  return { origin: url.origin, path: "/v1/chat/completions", method: "GET" as const, signal };
}

function text(body: ResponseBody): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on("data", (chunk: Buffer) => chunks.push(chunk));
    body.once("end", () => resolve(Buffer.concat(chunks).toString()));
    body.once("error", reject);
  });
}

const answerOf = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe("dispatch request", () => {
  it("answers the status, the headers and the body, and reuses the connection", async () => {
    const { server, dispatcher } = await open();
    server.enqueue(rawCompletionAnswer("first"), answerOf("second", "x-extra: 1\r\n"));
    const first = await dispatchRequest(dispatcher, get(server));
    expect(first.statusCode).toBe(200);
    expect(first.statusText).toBe("OK");
    expect(first.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(await text(first.body)).choices[0].message.content).toBe("first");
    const second = await dispatchRequest(dispatcher, get(server));
    expect(second.headers["x-extra"]).toBe("1");
    expect(await text(second.body)).toBe("second");
    expect(server.connections).toBe(1);
  });

  it("skips an informational answer and gives the final one", async () => {
    const { server, dispatcher } = await open();
    server.enqueue(`HTTP/1.1 103 Early Hints\r\nlink: </a>; rel=preload\r\n\r\n${answerOf("final")}`);
    const response = await dispatchRequest(dispatcher, get(server));
    expect(response.statusCode).toBe(200);
    expect(await text(response.body)).toBe("final");
  });

  it("rejects with the signal's reason when aborted before sending or while waiting for the head", async () => {
    const { server, dispatcher } = await open();
    const early = new AbortController();
    early.abort(new Error("gave up before sending"));
    await expect(dispatchRequest(dispatcher, get(server, early.signal))).rejects.toThrow(
      "gave up before sending",
    );
    expect(server.requests).toHaveLength(0);
    const stub = await startStubModelServer();
    try {
      stub.enqueue({ type: "hang" });
      const waiting = new AbortController();
      const url = new URL(stub.url);
      const pending = dispatchRequest(dispatcher, {
        origin: url.origin,
        path: `${url.pathname}/chat/completions`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
        signal: waiting.signal,
      });
      await expect.poll(() => stub.stats.inflight).toBe(1);
      waiting.abort(new Error("gave up waiting"));
      await expect(pending).rejects.toThrow("gave up waiting");
      await expect.poll(() => stub.stats.aborted).toBe(1);
    } finally {
      await stub.close();
    }
  });

  // One connection is a Client of undici's, which queues requests itself; more are a Pool's.
  it.each([1, 2])(
    "rejects at once when aborted while waiting for one of %i connections, leaves the queue and is never sent",
    async (connections) => {
      const stub = await startStubModelServer();
      const dispatcher = new Agent({ connections });
      agent = dispatcher;
      const url = new URL(stub.url);
      const chat = (signal?: AbortSignal) =>
        dispatchRequest(dispatcher, {
          origin: url.origin,
          path: `${url.pathname}/chat/completions`,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
          signal,
        });
      const waitingRequests = () => {
        const stats = dispatcher.stats[url.origin] as { pending: number; queued?: number };
        return stats.queued ?? stats.pending;
      };
      try {
        const busy = new AbortController();
        const holding = Array.from({ length: connections }, () => {
          stub.enqueue({ type: "hang" });
          return chat(busy.signal).catch((error: Error) => error);
        });
        await expect.poll(() => stub.stats.inflight).toBe(connections);
        const waiting = new AbortController();
        const queued = chat(waiting.signal);
        expect(waitingRequests()).toBe(1);
        const started = performance.now();
        waiting.abort(new Error("gave up waiting for a connection"));
        await expect(queued).rejects.toThrow("gave up waiting for a connection");
        expect(performance.now() - started).toBeLessThan(100);
        expect(waitingRequests(), "taken out of the queue").toBe(0);
        busy.abort(new Error("done"));
        for (const error of await Promise.all(holding)) expect(String(error)).toContain("done");
        await expect.poll(() => stub.stats.aborted).toBe(connections);
        const after = await chat();
        expect(after.statusCode).toBe(200);
        await after.body.dump();
        expect(stub.stats.total, "the abandoned request was never sent").toBe(connections + 1);
      } finally {
        await stub.close();
      }
    },
  );

  it("errors the body with the signal's reason when aborted mid-body, and drops the connection", async () => {
    const { server, dispatcher } = await open();
    // A declared length the server never completes: the body stays open.
    server.enqueue("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\npart");
    const controller = new AbortController();
    const response = await dispatchRequest(dispatcher, get(server, controller.signal));
    const reading = text(response.body);
    controller.abort(new Error("client left"));
    await expect(reading).rejects.toThrow("client left");
    server.enqueue(answerOf("after"));
    const next = await dispatchRequest(dispatcher, get(server));
    expect(await text(next.body)).toBe("after");
    expect(server.connections).toBe(2);
  });

  it("keeps the connection when the rest is drained under the bound, closes it past the bound", async () => {
    const { server, dispatcher } = await open();
    // The second answer declares more than it sends: only a drain past the bound can end it.
    const unfinished = `HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n${"y".repeat(5000)}`;
    server.enqueue(answerOf("x".repeat(1000)), unfinished, answerOf("z"));
    const small = await dispatchRequest(dispatcher, get(server));
    await small.body.dump({ limit: 2000 });
    const large = await dispatchRequest(dispatcher, get(server));
    expect(server.connections).toBe(1);
    await large.body.dump({ limit: 2000 });
    expect(large.body.destroyed).toBe(true);
    const next = await dispatchRequest(dispatcher, get(server));
    expect(await text(next.body)).toBe("z");
    expect(server.connections).toBe(2);
  });
});
