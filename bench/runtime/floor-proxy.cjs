/**
 * The runtime benchmark's floor: a minimal node:http pass-through proxy to the stub model, the
 * cheapest hop one can put in front of the model. Run as its own process with the same node as
 * the benchmark:
 *
 *   node bench/runtime/floor-proxy.cjs UPSTREAM_PORT
 *
 * It listens on a free loopback port and prints one JSON line, {"port":N}, once it listens. Every
 * request goes to POST /v1/chat/completions upstream over a keep-alive agent.
 *
 * Plain CommonJS on purpose: its CPU and RSS are the floor the runtime is compared with, and both
 * must be node:http's alone. As TypeScript, node would load its type stripper into the process
 * (about 30 MB more RSS); as an ES module, the ESM loader (about 12 MB more).
 */
const http = require("node:http");

const upstreamPort = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer((req, res) => {
  const upstream = http.request(
    {
      host: "127.0.0.1",
      port: upstreamPort,
      path: "/v1/chat/completions",
      method: "POST",
      agent,
      headers: { "content-type": "application/json", "content-length": req.headers["content-length"] },
    },
    (answer) => {
      res.writeHead(answer.statusCode, { "content-type": answer.headers["content-type"] });
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    res.statusCode = 502;
    res.end();
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 65000;
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
process.on("SIGTERM", () => process.exit(0));
