/**
 * A loopback TCP server that answers HTTP requests with exact bytes, for answers node:http would
 * refuse to write (conflicting framing, folded or malformed headers). Each request gets the next
 * queued answer; the connection stays open afterwards, so a client that reuses it would be seen.
 */
import { createServer, type Server, type Socket } from "node:net";

export type RawHttpServer = {
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Requests read so far (request line and headers). */
  readonly requests: string[];
  enqueue(...answers: (string | Buffer)[]): void;
  close(): Promise<void>;
};

const HEAD_END = "\r\n\r\n";

/** A well-formed JSON chat completion answer. */
export function rawCompletionAnswer(content: string): string {
  const body = JSON.stringify({
    id: "chatcmpl-raw",
    object: "chat.completion",
    created: 0,
    model: "raw",
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

export async function startRawHttpServer(): Promise<RawHttpServer> {
  const answers: (string | Buffer)[] = [];
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;

  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const headEnd = buffered.indexOf(HEAD_END);
        if (headEnd === -1) return;
        const head = buffered.subarray(0, headEnd).toString("latin1");
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        const total = headEnd + HEAD_END.length + length;
        if (buffered.length < total) return;
        buffered = buffered.subarray(total);
        requests.push(head);
        const answer = answers.shift();
        if (answer === undefined) socket.destroy();
        else socket.write(answer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get connections() {
      return connections;
    },
    requests,
    enqueue: (...more) => answers.push(...more),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
