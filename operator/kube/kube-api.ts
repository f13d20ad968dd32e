import type { KubeConfig } from "@kubernetes/client-node/dist/config.js";
import { abortableSleep } from "./abortable-sleep.ts";
import { ClusterTransport, type TrafficKind } from "./cluster-transport.ts";
import { CredentialsUnavailable, KubeApiError } from "./kube-api-error.ts";
import { errorOfAnswer, transportError } from "./kube-api-errors-of.ts";
import { kubeConfigFromFile, loadKubeConfig } from "./kube-config.ts";
import { withListKind } from "./with-list-kind.ts";

/** Called once per API request: the operator's `agentry_kube_requests_total` comes from here. */
export type RequestObserver = (verb: string, resource: string, status: number, seconds: number) => void;

export interface CallOptions {
  signal?: AbortSignal;
  /** Deadline of the whole call, retries included; default: the client's request timeout. */
  timeoutMs?: number;
}

export interface RequestOptions extends CallOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Metric verb; derived from the method when absent. */
  verb?: string;
}

export interface KubeApiOptions {
  observe?: RequestObserver;
  /** Deadline of every non-watch call, and of opening a watch. */
  requestTimeoutMs?: number;
  /** A watch that sends nothing (not even a bookmark) this long is closed, so it can be reopened. */
  watchIdleTimeoutMs?: number;
  /** Attempts of a call the server answers with 429 (or a 5xx with Retry-After). */
  maxAttempts?: number;
  /** Objects per page of a list. */
  pageSize?: number;
  /** Sockets for requests (watches have their own pool). */
  requestConnections?: number;
  /** Consecutive failed calls (timeout, unreachable, 5xx, 429) after which `reachable` is false. */
  unreachableAfterFailures?: number;
}

export const KUBE_API_DEFAULTS = {
  requestTimeoutMs: 30_000,
  watchIdleTimeoutMs: 5 * 60_000,
  maxAttempts: 5,
  pageSize: 500,
  requestConnections: 64,
  unreachableAfterFailures: 3,
} as const;

/** Longest wait between attempts, whatever Retry-After says: the call's deadline bounds it too. */
const MAX_RETRY_DELAY_MS = 10_000;
/** Restarts of a paginated list whose continue token expired (410). */
const MAX_LIST_RESTARTS = 3;

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer> & { text(): Promise<string>; setEncoding(encoding: "utf8"): unknown };
}

/**
 * A small client for the Kubernetes REST API that speaks plain JSON: objects stay exactly as the
 * API server sends them (no class instances, no Date conversion), which keeps comparisons honest
 * and memory low. Connection and auth come from @kubernetes/client-node's KubeConfig
 * (ClusterTransport); this layer adds deadlines, pagination, Retry-After and watch idle timeouts.
 */
export class KubeApi {
  readonly server: URL;
  private readonly transport: ClusterTransport;
  private readonly observe: RequestObserver;
  private readonly settings: Required<Omit<KubeApiOptions, "observe">>;
  private consecutiveFailures = 0;

  constructor(kubeConfig: KubeConfig, options: KubeApiOptions = {}) {
    const { observe, ...settings } = options;
    this.settings = { ...KUBE_API_DEFAULTS, ...settings };
    this.observe = observe ?? (() => {});
    this.transport = new ClusterTransport(kubeConfig, {
      requestConnections: this.settings.requestConnections,
    });
    this.server = this.transport.server;
  }

  /** A client for the merged $KUBECONFIG list (or ~/.kube/config, or the in-cluster service account). */
  static fromDefault(options?: KubeApiOptions): KubeApi {
    return new KubeApi(loadKubeConfig(), options);
  }

  static fromFile(file: string, options?: KubeApiOptions): KubeApi {
    return new KubeApi(kubeConfigFromFile(file), options);
  }

  /** False once the last few calls all failed without an answer from the API server. */
  get reachable(): boolean {
    return this.consecutiveFailures < this.settings.unreachableAfterFailures;
  }

  close(): void {
    void this.transport.close();
  }

  async get<T>(path: string, options: CallOptions = {}): Promise<T | undefined> {
    try {
      return (await this.request<T>("GET", path, { ...options, verb: "get" })).body;
    } catch (error) {
      if (error instanceof KubeApiError && error.isNotFound) return undefined;
      throw error;
    }
  }

  /**
   * Lists page by page (`limit`/`continue`), so a large collection never arrives as one response;
   * a continue token that expired (410) restarts the list.
   */
  async list<T>(
    path: string,
    query: RequestOptions["query"] = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    type Page = {
      apiVersion?: string;
      kind?: string;
      items?: T[];
      metadata: { resourceVersion: string; continue?: string };
    };
    for (let restarts = 0; ; restarts++) {
      const items: T[] = [];
      let next: string | undefined;
      try {
        let resourceVersion = "";
        do {
          const { body } = await this.request<Page>("GET", path, {
            query: { ...query, limit: this.settings.pageSize, continue: next },
            verb: "list",
          });
          for (const item of body.items ?? []) items.push(withListKind(item, body));
          resourceVersion = body.metadata.resourceVersion;
          next = body.metadata.continue || undefined;
        } while (next);
        return { items, resourceVersion };
      } catch (error) {
        const expired = next !== undefined && error instanceof KubeApiError && error.isGone;
        if (!expired || restarts >= MAX_LIST_RESTARTS) throw error;
      }
    }
  }

  /** Server-side apply: the fields in `object` become owned by `fieldManager`. */
  apply<T>(path: string, object: unknown, fieldManager: string, options: CallOptions = {}): Promise<T> {
    const query = { fieldManager, force: true };
    return this.write<T>("PATCH", "apply", path, object, query, options, "application/apply-patch+yaml");
  }

  create<T>(path: string, object: unknown, fieldManager: string, options: CallOptions = {}): Promise<T> {
    return this.write<T>("POST", "create", path, object, { fieldManager }, options);
  }

  mergePatch<T>(path: string, patch: unknown, fieldManager: string, options: CallOptions = {}): Promise<T> {
    const type = "application/merge-patch+json";
    return this.write<T>("PATCH", "patch", path, patch, { fieldManager }, options, type);
  }

  /** RFC 6902 JSON patch: exact operations, a `test` op makes it conditional. */
  jsonPatch<T>(
    path: string,
    operations: unknown[],
    fieldManager: string,
    options: CallOptions = {},
  ): Promise<T> {
    const type = "application/json-patch+json";
    return this.write<T>("PATCH", "patch", path, operations, { fieldManager }, options, type);
  }

  /** PUT with the object's resourceVersion: fails with 409 when someone wrote in between. */
  replace<T>(path: string, object: unknown, fieldManager: string, options: CallOptions = {}): Promise<T> {
    return this.write<T>("PUT", "update", path, object, { fieldManager }, options);
  }

  /** Deletes; an object that is already gone counts as deleted. */
  async delete(
    path: string,
    propagationPolicy: "Background" | "Foreground" = "Background",
    options: CallOptions = {},
  ): Promise<void> {
    try {
      await this.request("DELETE", path, {
        ...options,
        body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy },
      });
    } catch (error) {
      if (error instanceof KubeApiError && error.isNotFound) return;
      throw error;
    }
  }

  /**
   * Opens a watch and calls `onEvent` for every event line until the server closes the stream,
   * the signal aborts, or an error occurs (thrown). Opening is bounded by the request timeout; a
   * stream silent for the idle timeout fails with KUBE_API_WATCH_IDLE. `onOpen` is called once the
   * server has accepted the watch, before any event: a quiet watch is a working one too.
   */
  async watch(
    path: string,
    query: RequestOptions["query"],
    onEvent: (event: { type: string; object: unknown }) => void,
    signal: AbortSignal,
    onOpen?: () => void,
  ): Promise<void> {
    const opening = new AbortController();
    const openTimer = setTimeout(() => opening.abort(), this.settings.requestTimeoutMs);
    let response: Response;
    try {
      response = await this.send("GET", path, { query: { ...query, watch: true } }, "watch", {
        signal: AbortSignal.any([signal, opening.signal]),
        bodyTimeout: this.settings.watchIdleTimeoutMs,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw transportError("watch", path, error, opening.signal.aborted);
    } finally {
      clearTimeout(openTimer);
    }
    this.observe("watch", resourceOf(path), response.status, 0);
    if (response.status >= 400) throw errorOfAnswer("watch", path, response, await response.body.text());
    onOpen?.();
    let buffer = "";
    response.body.setEncoding("utf8");
    try {
      for await (const chunk of response.body) {
        buffer += chunk as unknown as string;
        let newline = buffer.indexOf("\n");
        while (newline >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.trim()) onEvent(JSON.parse(line) as { type: string; object: unknown });
          newline = buffer.indexOf("\n");
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof KubeApiError || error instanceof SyntaxError) throw error;
      if ((error as { code?: string }).code === "UND_ERR_BODY_TIMEOUT") {
        throw new KubeApiError(
          "watch",
          path,
          0,
          "Idle",
          `nothing received for ${this.settings.watchIdleTimeoutMs} ms`,
          {
            code: "KUBE_API_WATCH_IDLE",
            cause: error,
          },
        );
      }
      throw transportError("watch", path, error, false);
    }
  }

  /**
   * One call with a deadline (`timeoutMs`, default the request timeout) over all its attempts;
   * 429 and 5xx-with-Retry-After answers are retried after the server's delay.
   */
  async request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    const verb = options.verb ?? method.toLowerCase();
    const deadline = AbortSignal.timeout(options.timeoutMs ?? this.settings.requestTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.attempt<T>(method, path, options, verb, signal, deadline);
        this.consecutiveFailures = 0;
        return result;
      } catch (error) {
        const retry =
          error instanceof KubeApiError && error.isRetryable && attempt < this.settings.maxAttempts
            ? Math.min(error.retryAfterMs ?? 1000, MAX_RETRY_DELAY_MS)
            : undefined;
        if (retry === undefined || !(await abortableSleep(retry, signal))) {
          if (error instanceof KubeApiError) {
            this.consecutiveFailures = error.isUnavailable ? this.consecutiveFailures + 1 : 0;
          }
          throw error;
        }
      }
    }
  }

  private async write<T>(
    method: string,
    verb: string,
    path: string,
    body: unknown,
    query: RequestOptions["query"],
    options: CallOptions,
    contentType?: string,
  ): Promise<T> {
    return (await this.request<T>(method, path, { ...options, body, query, verb, contentType })).body;
  }

  private async attempt<T>(
    method: string,
    path: string,
    options: RequestOptions,
    verb: string,
    signal: AbortSignal,
    deadline: AbortSignal,
  ): Promise<{ status: number; body: T }> {
    const started = performance.now();
    let status = 0;
    try {
      let response: Response;
      let text: string;
      try {
        response = await this.send(method, path, options, "request", { signal });
        status = response.status;
        text = await response.body.text();
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw transportError(verb, path, error, deadline.aborted);
      }
      if (status >= 400) throw errorOfAnswer(verb, path, response, text);
      return { status, body: (text ? JSON.parse(text) : undefined) as T };
    } finally {
      this.observe(verb, resourceOf(path), status, (performance.now() - started) / 1000);
    }
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    kind: TrafficKind,
    limits: { signal: AbortSignal; bodyTimeout?: number },
  ): Promise<Response> {
    const call = await this.transport.prepare(kind).catch((error: unknown) => {
      throw new CredentialsUnavailable(error);
    });
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) query.set(key, String(value));
    }
    const search = query.size > 0 ? `?${query}` : "";
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...call.headers, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
    const response = await call.dispatcher.request({
      origin: call.origin,
      path: `${call.basePath}${path}${search}`,
      method: method as "GET",
      headers,
      body,
      signal: limits.signal,
      // Deadlines come from the signal; a watch's body may legitimately wait up to the idle timeout.
      headersTimeout: 0,
      bodyTimeout: limits.bodyTimeout ?? 0,
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.body as Response["body"],
    };
  }
}

/** "deployments", "agentdeployments/status": the metric label for a request path. */
export function resourceOf(path: string): string {
  const parts = path.split("?")[0]?.split("/").filter(Boolean) ?? [];
  const start = parts[0] === "api" ? 2 : 3;
  const rest = parts.slice(start);
  if (rest[0] === "namespaces" && rest.length > 2) rest.splice(0, 2);
  const [resource, , subresource] = rest;
  return subresource ? `${resource}/${subresource}` : (resource ?? "unknown");
}
