import http from "node:http";
import https from "node:https";
import { KubeApiError } from "./kube-api-error.ts";
import { type ClusterConnection, connectionFromKubeconfig, loadClusterConnection } from "./kube-config.ts";

/** Called once per API request: the operator's `agentry_kube_requests_total` comes from here. */
export type RequestObserver = (verb: string, resource: string, status: number, seconds: number) => void;

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Metric verb; derived from the method when absent. */
  verb?: string;
}

/**
 * A small client for the Kubernetes REST API over node:https that speaks plain JSON: objects
 * stay exactly as the API server sends them (no class instances, no Date conversion), which keeps
 * comparisons honest and memory low.
 */
export class KubeApi {
  readonly server: URL;
  private readonly connection: ClusterConnection;
  private readonly observe: RequestObserver;
  private readonly agent: http.Agent;

  constructor(connection: ClusterConnection, observe: RequestObserver = () => {}) {
    this.connection = connection;
    this.server = connection.server;
    this.observe = observe;
    this.agent =
      this.server.protocol === "https:"
        ? new https.Agent({ keepAlive: true, maxSockets: 64 })
        : new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  /** A client for $KUBECONFIG (or ~/.kube/config, or the in-cluster service account). */
  static fromDefault(observe?: RequestObserver): KubeApi {
    return new KubeApi(loadClusterConnection(), observe);
  }

  static fromFile(file: string, observe?: RequestObserver): KubeApi {
    return new KubeApi(connectionFromKubeconfig(file), observe);
  }

  close(): void {
    this.agent.destroy();
  }

  async get<T>(path: string): Promise<T | undefined> {
    try {
      return (await this.request<T>("GET", path, { verb: "get" })).body;
    } catch (error) {
      if (error instanceof KubeApiError && error.isNotFound) return undefined;
      throw error;
    }
  }

  async list<T>(
    path: string,
    query: RequestOptions["query"] = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const { body } = await this.request<{ items: T[]; metadata: { resourceVersion: string } }>("GET", path, {
      query,
      verb: "list",
    });
    return { items: body.items ?? [], resourceVersion: body.metadata.resourceVersion };
  }

  /** Server-side apply: the fields in `object` become owned by `fieldManager`. */
  async apply<T>(path: string, object: unknown, fieldManager: string): Promise<T> {
    return (
      await this.request<T>("PATCH", path, {
        body: object,
        contentType: "application/apply-patch+yaml",
        query: { fieldManager, force: true },
        verb: "apply",
      })
    ).body;
  }

  async create<T>(path: string, object: unknown, fieldManager: string): Promise<T> {
    return (await this.request<T>("POST", path, { body: object, query: { fieldManager }, verb: "create" }))
      .body;
  }

  async mergePatch<T>(path: string, patch: unknown, fieldManager: string): Promise<T> {
    return (
      await this.request<T>("PATCH", path, {
        body: patch,
        contentType: "application/merge-patch+json",
        query: { fieldManager },
        verb: "patch",
      })
    ).body;
  }

  /** PUT with the object's resourceVersion: fails with 409 when someone wrote in between. */
  async replace<T>(path: string, object: unknown, fieldManager: string): Promise<T> {
    return (await this.request<T>("PUT", path, { body: object, query: { fieldManager }, verb: "update" }))
      .body;
  }

  /** Deletes; an object that is already gone counts as deleted. */
  async delete(path: string, propagationPolicy: "Background" | "Foreground" = "Background"): Promise<void> {
    try {
      await this.request("DELETE", path, {
        body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy },
      });
    } catch (error) {
      if (error instanceof KubeApiError && error.isNotFound) return;
      throw error;
    }
  }

  /**
   * Opens a watch and calls `onEvent` for every event line until the server closes the stream,
   * the signal aborts, or an error occurs (thrown).
   */
  async watch(
    path: string,
    query: RequestOptions["query"],
    onEvent: (event: { type: string; object: unknown }) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const response = await this.open("GET", path, { query: { ...query, watch: true }, signal });
    const resource = resourceOf(path);
    this.observe("watch", resource, response.statusCode ?? 0, 0);
    if ((response.statusCode ?? 0) >= 400) {
      const text = await readAll(response);
      throw toError("watch", path, response.statusCode ?? 0, text);
    }
    let buffer = "";
    response.setEncoding("utf8");
    try {
      for await (const chunk of response) {
        buffer += chunk as string;
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
      throw error;
    }
  }

  async request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    const verb = options.verb ?? method.toLowerCase();
    const started = performance.now();
    let status = 0;
    try {
      const response = await this.open(method, path, options);
      status = response.statusCode ?? 0;
      const text = await readAll(response);
      if (status >= 400) throw toError(verb, path, status, text);
      return { status, body: (text ? JSON.parse(text) : undefined) as T };
    } finally {
      this.observe(verb, resourceOf(path), status, (performance.now() - started) / 1000);
    }
  }

  private async open(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: "application/json" };
    const token = await this.connection.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      headers["content-type"] = options.contentType ?? "application/json";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    const { ca, cert, key, insecureSkipTlsVerify } = this.connection;
    const tls =
      url.protocol === "https:" ? { ca, cert, key, rejectUnauthorized: !insecureSkipTlsVerify } : {};
    const transport = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(
        url,
        { ...tls, method, headers, agent: this.agent, signal: options.signal },
        resolve,
      );
      request.on("error", reject);
      request.end(body);
    });
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

async function readAll(response: http.IncomingMessage): Promise<string> {
  response.setEncoding("utf8");
  let text = "";
  for await (const chunk of response) text += chunk as string;
  return text;
}

function toError(verb: string, path: string, status: number, text: string): KubeApiError {
  try {
    const body = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(verb, path, status, body.reason ?? "Unknown", body.message ?? text);
  } catch {
    return new KubeApiError(verb, path, status, "Unknown", text.slice(0, 500));
  }
}
