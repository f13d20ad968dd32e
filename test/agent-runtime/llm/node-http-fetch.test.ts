import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeHttpFetch } from "../../../agent-runtime/llm/node-http-fetch.ts";

let server: Server;
let base: string;
let lastRequest: { method?: string; headers: IncomingHttpHeaders; body: string } | undefined;
const openStreams: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    lastRequest = { method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() };
    if (req.url === "/json") {
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.setHeader("content-type", "application/json");
      return res.end('{"ok":true}');
    }
    if (req.url === "/empty") {
      res.statusCode = 204;
      return res.end();
    }
    if (req.url === "/sse") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
      openStreams.push(res);
      return;
    }
    if (req.url === "/slow") return;
    res.statusCode = 404;
    res.end("nope");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const nodeFetch = createNodeHttpFetch();

describe("node:http fetch for the openai SDK", () => {
  it("sends method, headers and body, and returns a buffered JSON response", async () => {
    const response = await nodeFetch(`${base}/json`, {
      method: "POST",
      headers: new Headers({ "content-type": "application/json", authorization: "Bearer k" }),
      body: '{"q":1}',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.get("set-cookie")).toBe("a=1, b=2");
    expect(lastRequest).toMatchObject({ method: "POST", body: '{"q":1}' });
    expect(lastRequest?.headers).toMatchObject({ authorization: "Bearer k", "content-length": "7" });
  });

  it("passes error statuses through", async () => {
    const response = await nodeFetch(`${base}/missing`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("nope");
  });

  it("gives 204 a null body", async () => {
    const response = await nodeFetch(`${base}/empty`);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it("streams event streams as they arrive", async () => {
    const response = await nodeFetch(`${base}/sse`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("data: first\n\n");
    const stream = openStreams.shift();
    stream?.end("data: second\n\n");
    const second = await reader.read();
    expect(new TextDecoder().decode(second.value)).toBe("data: second\n\n");
    expect((await reader.read()).done).toBe(true);
  });

  it("rejects with an AbortError when aborted before the answer", async () => {
    const controller = new AbortController();
    const pending = nodeFetch(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("cuts an event stream when aborted mid-stream", async () => {
    const controller = new AbortController();
    const response = await nodeFetch(`${base}/sse`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    openStreams.shift()?.destroy();
  });

  it("hands streaming request bodies to the built-in fetch", async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("streamed"));
        controller.close();
      },
    });
    const response = await nodeFetch(`${base}/json`, { method: "POST", body, duplex: "half" } as RequestInit);
    expect(response.status).toBe(200);
    expect(lastRequest?.body).toBe("streamed");
  });
});
