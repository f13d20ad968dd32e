/**
 * Clients that send their request slowly, at the real runtime process: a body trickling in is cut
 * off at AGENTRY_REQUEST_TIMEOUT_SECONDS (408, connection closed), an answer sent before the body
 * has arrived (401) closes the connection at once, and neither touches answers that take longer
 * than the timeout to stream, or keep-alive.
 */
import { connect } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import { useRuntimeProcesses } from "../security/runtime-processes.ts";
import { openStream } from "./streams.ts";

const available = redisServerAvailable("runtime process (slow requests)");

const KEY = "slow-requests-key-0123456789";

type SlowRequest = {
  /** Everything the runtime sent, once it closed the connection. */
  answer: Promise<string>;
  /** Milliseconds from the first byte sent to the runtime closing the connection. */
  closedAfterMs: Promise<number>;
};

/** Sends the head of a POST at once, then its 1000-byte body one byte every `intervalMs`. */
function slowRequest(url: string, headers: string, intervalMs: number): SlowRequest {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on("error", () => {});
  const started = performance.now();
  socket.write(
    `POST /v1/chat HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n${headers}\r\n`,
  );
  const trickle = setInterval(() => {
    if (!socket.destroyed) socket.write(" ");
  }, intervalMs);
  let answer = "";
  socket.on("data", (chunk: Buffer) => {
    answer += chunk.toString();
  });
  const closed = new Promise<number>((resolve) => {
    socket.once("close", () => {
      clearInterval(trickle);
      resolve(performance.now() - started);
    });
  });
  // A test that fails leaves nothing running.
  setTimeout(() => socket.destroy(), 20_000).unref();
  return { answer: closed.then(() => answer), closedAfterMs: closed };
}

function statusOf(answer: string): string {
  return answer.slice(0, answer.indexOf("\r\n"));
}

describe.skipIf(!available)("slow requests at the runtime process", { timeout: 30_000 }, () => {
  const processes = useRuntimeProcesses();
  let runtime: RuntimeProcess;

  beforeAll(async () => {
    runtime = await processes.start({
      AGENTRY_AUTH_MODE: "apiKey",
      AGENTRY_API_KEYS: KEY,
      AGENTRY_REQUEST_TIMEOUT_SECONDS: "2",
      // 50 refusals in a row from one address would be held back as guessing instead.
      AGENTRY_AUTH_FAILURES_PER_MINUTE: "0",
    });
  });

  it("cuts off bodies that have not arrived within AGENTRY_REQUEST_TIMEOUT_SECONDS with 408 and closes their connections", async () => {
    const requests = Array.from({ length: 50 }, () =>
      slowRequest(runtime.url, `authorization: Bearer ${KEY}\r\n`, 500),
    );
    for (const request of requests) {
      const closedAfterMs = await request.closedAfterMs;
      // Node looks for late requests once a second.
      expect(closedAfterMs).toBeGreaterThan(1900);
      expect(closedAfterMs).toBeLessThan(4000);
      const answer = await request.answer;
      expect(statusOf(answer)).toBe("HTTP/1.1 408 Request Timeout");
      expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
    }
    expect((await fetch(`${runtime.url}/livez`)).status).toBe(200);
  });

  it("closes the connection of a request refused before its body arrived, right after the answer", async () => {
    const requests = Array.from({ length: 50 }, () => slowRequest(runtime.url, "", 500));
    for (const request of requests) {
      expect(await request.closedAfterMs).toBeLessThan(1000);
      const answer = await request.answer;
      expect(statusOf(answer)).toBe("HTTP/1.1 401 Unauthorized");
      expect(answer.toLowerCase()).toContain("connection: close");
      expect(answer).toContain('"code":"UNAUTHENTICATED"');
    }
  });

  it("lets answers stream for longer than the request timeout, and keeps connections of answered requests alive", async () => {
    processes.stub.setDefault({ type: "reply", content: "one two three four five six", chunkDelayMs: 600 });
    const started = performance.now();
    const stream = await openStream(
      `${runtime.url}/v1/chat`,
      { message: "take your time" },
      { authorization: `Bearer ${KEY}` },
    ).text;
    expect(performance.now() - started).toBeGreaterThan(3000);
    expect(stream).toContain("event: done");

    processes.stub.setDefault({ type: "reply" });
    const { hostname, port } = new URL(runtime.url);
    const socket = connect(Number(port), hostname);
    const body = JSON.stringify({ message: "hi" });
    const request = `POST /v1/chat HTTP/1.1\r\nHost: x\r\nauthorization: Bearer ${KEY}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString();
    });
    const answers = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if ((received.match(/"cached":false/g) ?? []).length >= count) resolve();
          else setTimeout(check, 10);
        };
        check();
      });
    socket.write(request);
    await answers(1);
    socket.write(request);
    await answers(2);
    expect(received.toLowerCase()).not.toContain("connection: close");
    expect(socket.destroyed).toBe(false);
    socket.destroy();
  });
});
