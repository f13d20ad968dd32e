/**
 * A `fetch` for the model endpoint on undici's `dispatcher.dispatch()` (dispatch-request.ts): the
 * same connection pool, HTTP parser, timeouts and proxy as undici's WHATWG fetch, without its
 * per-request machinery (Request objects, header guards, web streams for every body, the redirect
 * and CORS steps).
 *
 * What a caller sees is a standard `Response`. A JSON answer is read whole first (under the size
 * cap) and handed over as bytes, so parsing it needs no stream; an event stream becomes a web
 * stream read on demand, so backpressure reaches the socket. Decoding (gzip, deflate, br, zstd) is
 * undici's decompress interceptor on the dispatcher; `Accept-Encoding` is sent as fetch sends it.
 *
 * Differences from fetch, on purpose: redirects are not followed (a model call that answers
 * 3xx fails with its status, so credentials are never re-sent elsewhere), and it takes a URL
 * with options (not a Request object) and a string or bytes as the body (model requests are JSON
 * text).
 */
import { type Dispatcher, Headers, Response } from "undici";
import { dispatchRequest, type ResponseBody } from "./dispatch-request.ts";
import { ModelResponseTooLargeError } from "./model-errors.ts";

/** The `fetch` signature the SDK and the pass-through call. */
export type ModelFetch = (input: string | URL | Request, init?: RequestInit) => Promise<globalThis.Response>;

/** How much of a cancelled stream's remaining body is read to keep its connection. */
const CANCEL_DRAIN_BYTES = 64 * 1024;
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** What undici's fetch sends (`accept-encoding` depends on the scheme there too). */
const ACCEPT_ENCODING_HTTPS = "br, gzip, deflate, zstd";
const ACCEPT_ENCODING_HTTP = "gzip, deflate";

/** `init.headers` in any of fetch's forms, as undici's flat `[name, value, ...]` list. */
function flatHeaders(init: RequestInit["headers"], https: boolean): string[] {
  const flat: string[] = [];
  let hasAccept = false;
  let hasEncoding = false;
  const add = (name: string, value: string) => {
    const lower = name.toLowerCase();
    if (lower === "accept") hasAccept = true;
    else if (lower === "accept-encoding") hasEncoding = true;
    flat.push(lower, value);
  };
  if (init && Symbol.iterator in init) {
    // A Headers object (whichever fetch implementation made it) or a list of pairs.
    for (const [name, value] of init as Iterable<[string, string]>) add(name, value);
  } else if (init) {
    for (const name of Object.keys(init)) {
      const value = (init as Record<string, string | undefined>)[name];
      if (value !== undefined) add(name, value);
    }
  }
  if (!hasAccept) flat.push("accept", "*/*");
  if (!hasEncoding) flat.push("accept-encoding", https ? ACCEPT_ENCODING_HTTPS : ACCEPT_ENCODING_HTTP);
  return flat;
}

function requestBody(body: RequestInit["body"]): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError(
    `model requests send a string or bytes as their body, not ${body.constructor?.name ?? typeof body}`,
  );
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const name of Object.keys(raw)) {
    const value = raw[name];
    if (typeof value === "string") headers.append(name, value);
    else if (value) for (const item of value) headers.append(name, item);
  }
  return headers;
}

/** The whole body, failing (and dropping the connection) past `limit` bytes. */
function readAll(body: ResponseBody, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        body.destroy();
        reject(new ModelResponseTooLargeError(limit));
      } else chunks.push(chunk);
    });
    body.once("error", reject);
    body.once("end", () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received)),
    );
  });
}

/**
 * The body as a web stream pulled on demand, erroring past `limit` bytes. Read through the
 * Readable's events (`readable`, `end`, `error`), not its async iterator: see dispatch-request.ts.
 */
function webStream(
  body: ResponseBody,
  limit: number,
  signal: AbortSignal | undefined,
): ReadableStream<Uint8Array> {
  let received = 0;
  let finished = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      body.once("end", () => {
        if (finished) return;
        finished = true;
        controller.close();
      });
      body.once("error", (error) => {
        if (finished) return;
        finished = true;
        // As fetch's body stream reports a connection lost mid-body (undici's error as the cause).
        controller.error(signal?.aborted ? error : new TypeError("terminated", { cause: error }));
      });
      body.on("readable", () => {
        if (!finished && (controller.desiredSize ?? 0) > 0) pump(controller);
      });
    },
    pull(controller) {
      pump(controller);
    },
    cancel() {
      finished = true;
      // A reader stops at the closing event, usually with the rest of the body already here:
      // reading that rest (up to a bound) keeps the connection reusable; beyond it undici closes
      // the connection. A caller that gives up mid-answer aborts its signal, which closes it.
      body.dump({ limit: CANCEL_DRAIN_BYTES }).catch(() => undefined);
    },
  });

  /** Moves what the body holds into the web stream, as far as the reader wants it. */
  function pump(controller: ReadableStreamDefaultController<Uint8Array>) {
    while (!finished && (controller.desiredSize ?? 0) > 0) {
      const chunk = body.read() as Buffer | null;
      if (chunk === null) return;
      received += chunk.length;
      if (received > limit) {
        finished = true;
        body.destroy();
        return controller.error(new ModelResponseTooLargeError(limit));
      }
      controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    }
  }
}

function isEventStream(contentType: string | string[] | undefined): boolean {
  return typeof contentType === "string" && contentType.toLowerCase().includes("text/event-stream");
}

/** A `fetch` whose requests go through `dispatcher` and whose answers stop at `maxResponseBytes`. */
export function dispatcherFetch(dispatcher: Dispatcher, maxResponseBytes: number): ModelFetch {
  return async (input, init = {}) => {
    if (typeof input !== "string" && !(input instanceof URL)) {
      // Its method, headers and body would have to be read from it; model calls pass a URL.
      throw new TypeError("model requests take a URL and options, not a Request object");
    }
    const url = new URL(input);
    const options: Dispatcher.DispatchOptions & { signal?: AbortSignal } = {
      origin: url.origin,
      path: url.pathname + url.search,
      method: (init.method ?? "GET").toUpperCase() as Dispatcher.HttpMethod,
      headers: flatHeaders(init.headers, url.protocol === "https:"),
      body: requestBody(init.body),
      signal: init.signal ?? undefined,
    };
    try {
      return await send(dispatcher, options, maxResponseBytes);
    } catch (error) {
      // As fetch reports them: an abort as itself, the size cap as itself, any other failure as a
      // TypeError whose cause is undici's error (a refused proxy tunnel is undici's AbortError,
      // which callers must not take for their own signal).
      if (init.signal?.aborted || error instanceof ModelResponseTooLargeError) throw error;
      throw new TypeError("fetch failed", { cause: error });
    }
  };
}

async function send(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions & { signal?: AbortSignal },
  maxResponseBytes: number,
): Promise<globalThis.Response> {
  const { statusCode: status, statusText, headers: raw, body } = await dispatchRequest(dispatcher, options);
  const headers = responseHeaders(raw);
  if (NULL_BODY_STATUS.has(status)) {
    // Nothing to read; consuming the (empty) body keeps the connection reusable.
    body.dump().catch(() => undefined);
    return new Response(null, { status, statusText, headers }) as unknown as globalThis.Response;
  }
  // A declared length is the decoded length (the decompress interceptor drops it otherwise).
  if (Number(raw["content-length"] ?? 0) > maxResponseBytes) {
    // Refused before reading: destroying drops the connection instead of draining the body.
    body.destroy();
    throw new ModelResponseTooLargeError(maxResponseBytes);
  }
  const content = isEventStream(raw["content-type"])
    ? webStream(body, maxResponseBytes, options.signal)
    : await readAll(body, maxResponseBytes);
  return new Response(content, { status, statusText, headers }) as unknown as globalThis.Response;
}
