/**
 * A small HTTP/1.1 client for one origin, with a pool of keep-alive connections: what the model
 * endpoint needs and no more (one request per connection at a time, no redirects, no
 * compression, no proxy). Node's http client costs about a fifth of the runtime's CPU per model
 * call in stream and request objects; this writes the request in one piece and parses the answer
 * with `Http1ResponseParser`.
 *
 * Connections idle longer than `idleTimeoutMs` are closed by us, below the keep-alive timeouts
 * common servers use (uvicorn and Node: 5 s), so a reused connection is rarely one the server is
 * closing at the same moment. A connection the server closes while idle leaves the pool.
 */
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { Http1ResponseParser, HttpProtocolError, type ResponseHead } from "./http1-response-parser.ts";

export type Http1Request = {
  method: string;
  path: string;
  headers: Readonly<Record<string, string | number>>;
  body?: string;
  signal: AbortSignal;
};

export type Http1Response = ResponseHead & {
  /** The whole body as text (UTF-8). Use this or `chunks()`, once. */
  text(): Promise<string>;
  /** The body as it arrives. */
  chunks(): AsyncGenerator<Buffer>;
  /** Stop reading: the connection is closed, not reused. */
  cancel(): void;
};

export type Http1Client = {
  request(request: Http1Request): Promise<Http1Response>;
  /** Closes the idle connections (requests in flight finish). */
  close(): void;
};

export type Http1ClientOptions = {
  host: string;
  port: number;
  tls: boolean;
  idleTimeoutMs?: number;
  /** PEM certificates to trust instead of the system's (NODE_EXTRA_CA_CERTS adds to those). */
  ca?: string;
};

/** The error a request rejects with when its signal fires, carrying the signal's reason. */
export function abortError(signal: AbortSignal): Error {
  const error = new Error("The operation was aborted", { cause: signal.reason });
  error.name = "AbortError";
  return error;
}

const UNSAFE_HEADER = /[\r\n\0]/;

export function createHttp1Client(options: Http1ClientOptions): Http1Client {
  const idleTimeoutMs = options.idleTimeoutMs ?? 2000;
  const defaultPort = options.tls ? 443 : 80;
  const hostHeader = `${isIP(options.host) === 6 ? `[${options.host}]` : options.host}${
    options.port === defaultPort ? "" : `:${options.port}`
  }`;
  const idle: Socket[] = [];

  const open = (): Socket => {
    const socket = options.tls
      ? connectTls({
          host: options.host,
          port: options.port,
          servername: isIP(options.host) ? undefined : options.host,
          ALPNProtocols: ["http/1.1"],
          ...(options.ca ? { ca: options.ca } : {}),
        })
      : connectTcp({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    return socket;
  };

  const onIdleEvent = function (this: Socket) {
    // Data while idle is not an answer to anything; a reset, close or timeout ends the connection.
    const index = idle.indexOf(this);
    if (index !== -1) idle.splice(index, 1);
    this.destroy();
  };

  const park = (socket: Socket) => {
    if (socket.destroyed) return;
    socket.on("data", onIdleEvent);
    socket.on("error", onIdleEvent);
    socket.once("close", onIdleEvent);
    socket.setTimeout(idleTimeoutMs, onIdleEvent);
    idle.push(socket);
  };

  const take = (): Socket => {
    for (let socket = idle.pop(); socket; socket = idle.pop()) {
      socket.off("data", onIdleEvent);
      socket.off("error", onIdleEvent);
      socket.off("close", onIdleEvent);
      socket.setTimeout(0);
      if (!socket.destroyed) return socket;
    }
    return open();
  };

  const headOf = (request: Http1Request): string => {
    let head = `${request.method} ${request.path} HTTP/1.1\r\nhost: ${hostHeader}\r\n`;
    for (const [name, value] of Object.entries(request.headers)) {
      const text = String(value);
      if (UNSAFE_HEADER.test(name) || UNSAFE_HEADER.test(text))
        throw new Error(`header ${name} has a line break`);
      head += `${name}: ${text}\r\n`;
    }
    if (request.body !== undefined) head += `content-length: ${Buffer.byteLength(request.body)}\r\n`;
    return `${head}\r\n`;
  };

  function request(request: Http1Request): Promise<Http1Response> {
    return new Promise((resolve, reject) => {
      if (request.signal.aborted) return reject(abortError(request.signal));
      const head = headOf(request);
      const socket = take();
      const pieces: Buffer[] = [];
      let answered = false;
      let ended = false;
      let failure: Error | undefined;
      let socketError: Error | undefined;
      let wake: (() => void) | undefined;
      const notify = () => {
        const waiting = wake;
        wake = undefined;
        waiting?.();
      };

      const cleanup = () => {
        socket.off("data", onData);
        socket.off("close", onClose);
        socket.off("error", onError);
        request.signal.removeEventListener("abort", onAbort);
      };
      const fail = (error: Error) => {
        if (ended || failure) return;
        failure = error;
        cleanup();
        socket.destroy();
        if (!answered) reject(error);
        notify();
      };
      const parser = new Http1ResponseParser(
        {
          onHead: (responseHead) => {
            answered = true;
            resolve(responseOf(responseHead));
          },
          onBody: (chunk) => {
            pieces.push(chunk);
            notify();
          },
          onEnd: (keepAlive) => {
            ended = true;
            cleanup();
            if (keepAlive) park(socket);
            else socket.destroy();
            notify();
          },
        },
        { bodyless: request.method === "HEAD" },
      );
      const onData = (chunk: Buffer) => {
        try {
          parser.feed(chunk);
        } catch (error) {
          fail(error as Error);
        }
      };
      const onError = (error: Error) => {
        socketError = error;
      };
      const onClose = () => {
        if (ended) return;
        try {
          parser.closed();
        } catch (error) {
          fail(socketError ?? (error as Error));
        }
      };
      const onAbort = () => fail(abortError(request.signal));
      socket.on("data", onData);
      socket.on("error", onError);
      socket.once("close", onClose);
      request.signal.addEventListener("abort", onAbort, { once: true });
      socket.write(request.body === undefined ? head : head + request.body);

      function responseOf(responseHead: ResponseHead): Http1Response {
        const settled = () =>
          new Promise<void>((done) => {
            wake = done;
          });
        return {
          ...responseHead,
          async text() {
            while (!ended && !failure) await settled();
            if (failure) throw failure;
            return (pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces)).toString("utf8");
          },
          async *chunks() {
            for (;;) {
              while (pieces.length > 0) yield pieces.shift() as Buffer;
              if (failure) throw failure;
              if (ended) return;
              await settled();
            }
          },
          cancel() {
            if (!ended) fail(new HttpProtocolError("the response was not read to its end"));
          },
        };
      }
    });
  }

  return {
    request,
    close() {
      for (const socket of idle.splice(0)) socket.destroy();
    },
  };
}
