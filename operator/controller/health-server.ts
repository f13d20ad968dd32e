import http from "node:http";
import type { Registry } from "prom-client";

export interface HealthChecks {
  /** The process works (the loop turns); a failing liveness restarts the pod. */
  live: () => boolean;
  /** Caches are filled; a standby is ready too, so a rollout of the operator can proceed. */
  ready: () => boolean;
}

/** /metrics, /healthz and /readyz of the operator. */
export function startHealthServer(registry: Registry, checks: HealthChecks, host: string, port: number) {
  const server = http.createServer((request, response) => {
    const path = request.url?.split("?")[0];
    if (path === "/metrics") {
      registry
        .metrics()
        .then((body) => {
          response.writeHead(200, { "content-type": registry.contentType });
          response.end(body);
        })
        .catch((error: Error) => {
          response.writeHead(500).end(error.message);
        });
      return;
    }
    if (path === "/healthz" || path === "/livez" || path === "/readyz") {
      const ok = path === "/readyz" ? checks.ready() : checks.live();
      response.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "not ok\n");
      return;
    }
    response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  return new Promise<http.Server>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
