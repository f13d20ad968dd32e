/**
 * The HTTP layer under every model call: one undici dispatcher (connection cap, keep-alive,
 * connect/headers/body timeouts, HTTP/2 where the endpoint offers it over TLS, the standard proxy
 * variables, content decoding) and a `fetch` on it whose answers stop at a size cap. The `openai`
 * SDK gets this `fetch` and the pass-through uses it directly, so both share one pool. The
 * readiness probe has a connection of its own (`probeFetch`): with every pooled connection busy
 * it would wait behind model calls, and hold up /readyz?verbose and /metrics with it.
 *
 * The `fetch` is built on the dispatcher's `request()` (`dispatcher-fetch.ts`) rather than on
 * undici's WHATWG fetch, which cost more CPU per model call than the rest of a request together.
 */
import { EnvHttpProxyAgent, interceptors } from "undici";
import { dispatcherFetch, type ModelFetch } from "./dispatcher-fetch.ts";

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

export type ModelTransport = {
  fetch: ModelFetch;
  /** The same, on one connection of its own: for the readiness probe. */
  probeFetch: ModelFetch;
  /** Closes idle connections and waits for requests in flight. */
  close(): Promise<void>;
};

/** Idle connections stay this long, unless the endpoint's Keep-Alive header says less. */
const KEEP_ALIVE_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;

function createAgent(settings: TransportSettings, connections: number): EnvHttpProxyAgent {
  return new EnvHttpProxyAgent({
    // Empty strings, not undefined: undefined would make undici read process.env itself.
    httpProxy: settings.proxy.httpProxy ?? "",
    httpsProxy: settings.proxy.httpsProxy ?? "",
    noProxy: settings.proxy.noProxy ?? "",
    connections,
    keepAliveTimeout: KEEP_ALIVE_MS,
    connect: { timeout: Math.min(CONNECT_TIMEOUT_MS, settings.timeoutMs) },
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
  });
}

export function createModelTransport(settings: TransportSettings): ModelTransport {
  const agent = createAgent(settings, settings.maxConnections);
  const probeAgent = createAgent(settings, 1);
  // Error answers are decoded too: the SDK and the pass-through read their JSON.
  const decoded = (dispatcher: EnvHttpProxyAgent) =>
    dispatcher.compose(interceptors.decompress({ skipErrorResponses: false }));
  return {
    fetch: dispatcherFetch(decoded(agent), settings.maxResponseBytes),
    probeFetch: dispatcherFetch(decoded(probeAgent), settings.maxResponseBytes),
    close: async () => {
      await Promise.all([agent.close(), probeAgent.close()]);
    },
  };
}
