import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttp1Client, type Http1Client } from "../../../agent-runtime/llm/http1-client.ts";
import { generatePki } from "../../support/cluster-pki.ts";

let server: Server;
let port: number;
const connections = new Set<Socket>();
let seen: { method?: string; url?: string; headers: IncomingMessage["headers"]; body: string }[] = [];
const handlers: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  "/json": (_req, res) => res.end('{"ok":true}'),
  "/chunked": (_req, res) => {
    res.write("one ");
    setTimeout(() => res.end("two"), 20);
  },
  "/close": (_req, res) => {
    res.setHeader("connection", "close");
    res.end("bye");
  },
  "/hang": () => {},
};

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    seen.push({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    (handlers[req.url ?? ""] ?? ((_req, r: ServerResponse) => r.writeHead(404).end("nope")))(req, res);
  });
  server.on("connection", (socket) => {
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const signal = () => new AbortController().signal;

describe("HTTP/1.1 client", () => {
  const client = (idleTimeoutMs?: number): Http1Client =>
    createHttp1Client({ host: "127.0.0.1", port, tls: false, idleTimeoutMs });

  it("sends method, path, host, headers and body, and reuses the connection", async () => {
    seen = [];
    const http = client();
    for (let i = 0; i < 3; i++) {
      const response = await http.request({
        method: "POST",
        path: "/json",
        headers: { "content-type": "application/json", "x-request-id": `r${i}` },
        body: '{"q":"é"}',
        signal: signal(),
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('{"ok":true}');
    }
    expect(seen[0]).toMatchObject({ method: "POST", url: "/json", body: '{"q":"é"}' });
    expect(seen[0]?.headers).toMatchObject({
      host: `127.0.0.1:${port}`,
      "content-length": "10",
      "x-request-id": "r0",
    });
    expect(connections.size).toBe(1);
    http.close();
  });

  it("streams a chunked body as it arrives", async () => {
    const response = await client().request({
      method: "GET",
      path: "/chunked",
      headers: {},
      signal: signal(),
    });
    const pieces: string[] = [];
    for await (const chunk of response.chunks()) pieces.push(chunk.toString());
    expect(pieces.join("")).toBe("one two");
    expect(pieces.length).toBeGreaterThan(1);
  });

  it("opens a new connection when the server closed the last one", async () => {
    const http = client();
    const first = await http.request({ method: "GET", path: "/close", headers: {}, signal: signal() });
    expect(await first.text()).toBe("bye");
    const second = await http.request({ method: "GET", path: "/json", headers: {}, signal: signal() });
    expect(await second.text()).toBe('{"ok":true}');
    http.close();
  });

  it("survives the server resetting an idle connection, and uses a new one next", async () => {
    const http = client();
    await (await http.request({ method: "GET", path: "/json", headers: {}, signal: signal() })).text();
    for (const socket of connections) socket.resetAndDestroy();
    await expect.poll(() => connections.size).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await http.request({ method: "GET", path: "/json", headers: {}, signal: signal() });
    expect(await again.text()).toBe('{"ok":true}');
    http.close();
  });

  it("closes connections idle longer than the idle timeout", async () => {
    const http = client(50);
    await (await http.request({ method: "GET", path: "/json", headers: {}, signal: signal() })).text();
    const before = connections.size;
    await expect.poll(() => connections.size).toBe(before - 1);
  });

  it("rejects with an AbortError carrying the reason, and drops the connection", async () => {
    const controller = new AbortController();
    const pending = client().request({
      method: "GET",
      path: "/hang",
      headers: {},
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error("client left")), 20);
    await expect(pending).rejects.toMatchObject({ name: "AbortError", cause: { message: "client left" } });
  });

  it("refuses header values with line breaks instead of sending them", async () => {
    await expect(
      client().request({
        method: "GET",
        path: "/json",
        headers: { "x-bad": "a\r\nx-injected: 1" },
        signal: signal(),
      }),
    ).rejects.toThrow(/line break/);
  });

  it("cancel closes the connection instead of reading the rest", async () => {
    const response = await client().request({
      method: "GET",
      path: "/chunked",
      headers: {},
      signal: signal(),
    });
    const count = connections.size;
    response.cancel();
    await expect.poll(() => connections.size).toBe(count - 1);
    await expect(response.text()).rejects.toThrow(/not read to its end/);
  });
});

describe("HTTP/1.1 client over TLS", () => {
  it("verifies the server certificate against the trusted CA and talks HTTP/1.1 through it", async () => {
    const pki = await generatePki(path.join(tmpdir(), `agentry-http1-tls-${process.pid}`));
    const [cert, key, ca] = await Promise.all([
      readFile(pki.apiserver.cert, "utf8"),
      readFile(pki.apiserver.key, "utf8"),
      readFile(pki.ca.cert, "utf8"),
    ]);
    const secure = createHttpsServer({ cert, key }, (_req, res) => res.end("secret"));
    await new Promise<void>((resolve) => secure.listen(0, "127.0.0.1", resolve));
    const securePort = (secure.address() as AddressInfo).port;
    try {
      const trusted = createHttp1Client({ host: "localhost", port: securePort, tls: true, ca });
      const response = await trusted.request({ method: "GET", path: "/", headers: {}, signal: signal() });
      expect(await response.text()).toBe("secret");
      trusted.close();
      const untrusted = createHttp1Client({ host: "localhost", port: securePort, tls: true });
      await expect(
        untrusted.request({ method: "GET", path: "/", headers: {}, signal: signal() }),
      ).rejects.toThrow(/certificate/);
    } finally {
      secure.closeAllConnections();
      secure.close();
    }
  });
});
