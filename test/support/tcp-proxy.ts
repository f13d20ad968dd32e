// A loopback TCP forwarder in front of the API server that a test can freeze: it stops passing
// bytes either way without closing anything, as a black-holed network path does.
import net from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Stops forwarding on every open and future connection; nothing is closed. */
  freeze(): void;
  close(): Promise<void>;
}

/** `port`: listen on this one (e.g. to bring a closed proxy back); default any free port. */
export async function startTcpProxy(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let frozen = false;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    track(client);
    if (frozen) {
      client.pause();
      return;
    }
    const upstream = net.connect(target);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => {
      frozen = true;
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
