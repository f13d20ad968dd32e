// A loopback HTTPS reverse proxy that serves the API server under a path, as Rancher-style
// gateways do (https://host/k8s/clusters/<id>/api/...): it strips the prefix and forwards the
// request, bearer token included, to the API server.
import { readFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";

export interface PathPrefixProxy {
  readonly url: string;
  /** Paths of the requests it received, before stripping. */
  readonly paths: string[];
  close(): Promise<void>;
}

export async function startPathPrefixProxy(options: {
  prefix: string;
  upstream: string;
  /** PEM files: the proxy serves this certificate and trusts `ca` for the upstream. */
  cert: string;
  key: string;
  ca: string;
}): Promise<PathPrefixProxy> {
  const paths: string[] = [];
  const ca = readFileSync(options.ca);
  const server = https.createServer(
    { cert: readFileSync(options.cert), key: readFileSync(options.key) },
    (request, response) => {
      const url = request.url ?? "/";
      paths.push(url.split("?")[0] ?? url);
      if (!url.startsWith(`${options.prefix}/`)) {
        response.writeHead(404).end("unknown path\n");
        return;
      }
      const forwarded = https.request(
        new URL(url.slice(options.prefix.length), options.upstream),
        { method: request.method, headers: { ...request.headers, host: new URL(options.upstream).host }, ca },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forwarded.on("error", (error) => response.writeHead(502).end(error.message));
      request.pipe(forwarded);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}${options.prefix}`,
    paths,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
