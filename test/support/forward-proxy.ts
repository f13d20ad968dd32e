/**
 * A loopback forward proxy, as egress proxies in clusters and in front of API servers are: the
 * `proxy` package (CONNECT tunnels and absolute-URI requests), plus a record of what it was asked.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createProxy } from "proxy";

export type ForwardProxy = {
  url: string;
  /** "CONNECT host:port" or "METHOD absolute-url", in arrival order. */
  seen: string[];
  close(): Promise<void>;
};

export async function startForwardProxy(): Promise<ForwardProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = createProxy(createServer());
  // Recorded before the proxy's own listeners run, so the order is the order of arrival.
  server.prependListener("request", (request: IncomingMessage) =>
    seen.push(`${request.method} ${request.url}`),
  );
  server.prependListener("connect", (request: IncomingMessage) => seen.push(`CONNECT ${request.url}`));
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
