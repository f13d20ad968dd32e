/**
 * Server-sent events on a Fastify reply. Headers go out with the first event, so an error before
 * any output still becomes a normal HTTP error response with the right status.
 */
import type { FastifyReply } from "fastify";

export type SseWriter = {
  readonly started: boolean;
  /** `event` omitted writes a bare `data:` line (the OpenAI wire format). */
  send(data: string, event?: string): void;
  end(): void;
};

export function createSseWriter(reply: FastifyReply): SseWriter {
  let started = false;
  const start = () => {
    reply.hijack();
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) headers[name] = value;
    }
    reply.raw.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      // Tell nginx-style proxies not to buffer the stream.
      "x-accel-buffering": "no",
    });
    started = true;
  };
  return {
    get started() {
      return started;
    },
    send(data, event) {
      if (!started) start();
      if (reply.raw.destroyed) return;
      reply.raw.write(event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
    },
    end() {
      if (!started) start();
      if (!reply.raw.destroyed) reply.raw.end();
    },
  };
}
