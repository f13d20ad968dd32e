/**
 * The HTTP layer under every model call: one undici dispatcher (connection cap, keep-alive,
 * connect/headers/body timeouts, HTTP/2 where the endpoint offers it over TLS, the standard proxy
 * variables) and a `fetch` on it whose answers stop at a size cap. The `openai` SDK gets this
 * `fetch`; the pass-through and the readiness probe use it directly, so all share one pool.
 *
 * The fetch is undici's own rather than Node's global one, so the dispatcher and the fetch that
 * drives it always come from the same undici version.
 */
import { EnvHttpProxyAgent, Response, fetch as undiciFetch } from "undici";
import { ModelResponseTooLargeError } from "./model-errors.ts";

export type ProxySettings = {
  /** Proxy for http:// endpoints (HTTP_PROXY); undefined = none. */
  httpProxy: string | undefined;
  /** Proxy for https:// endpoints (HTTPS_PROXY); undefined = the HTTP proxy, if any. */
  httpsProxy: string | undefined;
  /** Hosts reached directly (NO_PROXY): comma-separated names, suffixes, `host:port`, `*`. */
  noProxy: string | undefined;
};

export type TransportSettings = {
  /** Connections kept open to the endpoint (per origin); requests beyond them queue. */
  maxConnections: number;
  /** Largest answer body read, after content decoding; a larger one fails the call. */
  maxResponseBytes: number;
  /** Timeout of one attempt: bounds waiting for the response head and for each body chunk. */
  timeoutMs: number;
  proxy: ProxySettings;
};

/** The `fetch` signature the SDK and the pass-through call. */
export type ModelFetch = (input: string | URL | Request, init?: RequestInit) => Promise<globalThis.Response>;

export type ModelTransport = {
  fetch: ModelFetch;
  /** Closes idle connections and waits for requests in flight. */
  close(): Promise<void>;
};

/** Idle connections stay this long, unless the endpoint's Keep-Alive header says less. */
const KEEP_ALIVE_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** `response` with a body that errors once more than `limit` bytes have come through. */
function capped(response: Response, limit: number): Response {
  if (!response.body || NULL_BODY_STATUS.has(response.status)) return response;
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  const decoded = response.headers.has("content-encoding");
  if (declared > limit && !decoded) {
    // Refused before reading: cancelling drops the connection instead of draining the body.
    void response.body.cancel().catch(() => undefined);
    throw new ModelResponseTooLargeError(limit);
  }
  // A declared length within the cap is enforced by the HTTP framing itself; only bodies that
  // are decompressed or of unknown length need counting.
  if (declared <= limit && !decoded) return response;
  let received = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        if (received > limit) controller.error(new ModelResponseTooLargeError(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

export function createModelTransport(settings: TransportSettings): ModelTransport {
  const dispatcher = new EnvHttpProxyAgent({
    // Empty strings, not undefined: undefined would make undici read process.env itself.
    httpProxy: settings.proxy.httpProxy ?? "",
    httpsProxy: settings.proxy.httpsProxy ?? "",
    noProxy: settings.proxy.noProxy ?? "",
    connections: settings.maxConnections,
    keepAliveTimeout: KEEP_ALIVE_MS,
    connect: { timeout: Math.min(CONNECT_TIMEOUT_MS, settings.timeoutMs) },
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
  });
  const fetch: ModelFetch = async (input, init) => {
    const response = await undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
    return capped(response, settings.maxResponseBytes) as unknown as globalThis.Response;
  };
  return { fetch, close: () => dispatcher.close() };
}
