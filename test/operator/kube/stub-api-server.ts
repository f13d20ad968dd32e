// A plain-HTTP stand-in for the API server on loopback, for behaviour the real one cannot be made
// to show on demand (429s, hung requests, silent watches, expired continue tokens), and a
// kubeconfig pointing at it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";

export interface StubRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export interface StubApiServer {
  url: string;
  requests: StubRequest[];
  /** A kubeconfig for this server (the path may be a server URL path, e.g. /k8s/clusters/x). */
  kubeconfig: (options?: { basePath?: string; user?: Record<string, unknown> }) => string;
  close: () => Promise<void>;
}

export async function startStubApiServer(
  handler: (request: StubRequest, response: http.ServerResponse, index: number) => void,
): Promise<StubApiServer> {
  const requests: StubRequest[] = [];
  const server = http.createServer((incoming, response) => {
    const request = {
      method: incoming.method ?? "GET",
      url: new URL(incoming.url ?? "/", "http://stub"),
      headers: incoming.headers,
      at: Date.now(),
    };
    requests.push(request);
    incoming.resume();
    handler(request, response, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(path.join(tmpdir(), "stub-api-"));
  let files = 0;
  return {
    url,
    requests,
    kubeconfig: ({ basePath = "", user = { token: "stub-token" } } = {}) => {
      const file = path.join(dir, `kubeconfig-${files++}`);
      writeFileSync(
        file,
        stringify({
          apiVersion: "v1",
          kind: "Config",
          "current-context": "stub",
          contexts: [{ name: "stub", context: { cluster: "stub", user: "stub" } }],
          clusters: [
            { name: "stub", cluster: { server: `${url}${basePath}`, "insecure-skip-tls-verify": true } },
          ],
          users: [{ name: "stub", user }],
        }),
      );
      return file;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        rmSync(dir, { recursive: true, force: true });
      }),
  };
}

export function sendJson(response: http.ServerResponse, status: number, body: unknown, headers = {}) {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}
