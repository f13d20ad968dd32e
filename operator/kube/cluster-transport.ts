import type { RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node/dist/config.js";
import { Agent, type Dispatcher, ProxyAgent } from "undici";

export type TrafficKind = "request" | "watch";

/** What one HTTP call to the API server needs: where, with which headers, over which pool. */
export interface PreparedCall {
  origin: string;
  /** The server URL's path (`/k8s/clusters/x` behind Rancher-style proxies), without a trailing slash. */
  basePath: string;
  headers: Record<string, string>;
  dispatcher: Dispatcher;
}

export interface ClusterTransportOptions {
  /** Sockets for ordinary requests; watches have a pool of their own without a limit. */
  requestConnections: number;
}

/**
 * Turns a KubeConfig into undici dispatchers and per-call headers. Auth comes from
 * `applyToHTTPSOptions` on every call, so tokens that KubeConfig refreshes (exec plugins, OIDC,
 * token files) are current; the TLS material and proxy come from the same call and from
 * `createDispatcherOptions`, and the pools are rebuilt when the material changes (an exec plugin
 * that issues client certificates, a rotated certificate file).
 *
 * Two pools: long-lived watches on one, requests on the other, so no number of watches can take
 * the sockets that reconciles and Lease renewals need.
 */
export class ClusterTransport {
  readonly server: URL;
  private readonly kubeConfig: KubeConfig;
  private readonly options: ClusterTransportOptions;
  private pools: { material: string; request: Dispatcher; watch: Dispatcher } | undefined;

  constructor(kubeConfig: KubeConfig, options: ClusterTransportOptions) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster)
      throw new Error(`kubeconfig: current context "${kubeConfig.getCurrentContext()}" names no cluster`);
    this.kubeConfig = kubeConfig;
    this.options = options;
    this.server = new URL(cluster.server);
  }

  async prepare(kind: TrafficKind): Promise<PreparedCall> {
    const https: RequestOptions = { headers: {} };
    await this.kubeConfig.applyToHTTPSOptions(https);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(https.headers ?? {})) {
      if (value !== undefined)
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    }
    // username/password users: KubeConfig sets node's `auth` option, which undici does not read.
    if (https.auth && !headers.authorization) {
      headers.authorization = `Basic ${Buffer.from(https.auth).toString("base64")}`;
    }
    const tls = {
      ca: https.ca,
      cert: https.cert,
      key: https.key,
      servername: https.servername,
      rejectUnauthorized: https.rejectUnauthorized,
    };
    const material = [tls.ca, tls.cert, tls.key]
      .map((value) => (Buffer.isBuffer(value) ? value.toString("base64") : String(value ?? "")))
      .concat(String(tls.servername), String(tls.rejectUnauthorized))
      .join("|");
    if (this.pools?.material !== material) {
      const previous = this.pools;
      this.pools = { material, request: this.dispatcher(tls, true), watch: this.dispatcher(tls, false) };
      // In-flight calls finish on the old pools; new ones use the new material.
      void previous?.request.close().catch(() => {});
      void previous?.watch.close().catch(() => {});
    }
    return {
      origin: this.server.origin,
      basePath: this.server.pathname.replace(/\/+$/, ""),
      headers,
      dispatcher: kind === "watch" ? this.pools.watch : this.pools.request,
    };
  }

  async close(): Promise<void> {
    const pools = this.pools;
    this.pools = undefined;
    await Promise.all([pools?.request.destroy(), pools?.watch.destroy()]);
  }

  private dispatcher(
    tls: Parameters<KubeConfig["createDispatcherOptions"]>[1],
    limited: boolean,
  ): Dispatcher {
    const connections = limited ? this.options.requestConnections : null;
    const options = this.kubeConfig.createDispatcherOptions(this.kubeConfig.getCurrentCluster(), tls);
    switch (options.type) {
      case "proxy":
        return new ProxyAgent({
          uri: options.uri,
          requestTls: options.requestTls,
          connect: options.connect,
          connections,
        });
      case "socks":
        return new ProxyAgent({ uri: options.uri, requestTls: options.requestTls, connections });
      case "agent":
        return new Agent({ connect: options.connect, connections });
      case "none":
        return new Agent({ connections });
    }
  }
}
