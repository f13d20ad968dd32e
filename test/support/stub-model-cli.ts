/**
 * CLI for the stub model endpoint:
 *   node test/support/stub-model-cli.ts [--port 0] [--delay-ms 0] [--record-limit 500]
 * Prints one JSON line `{"url": "http://127.0.0.1:PORT/v1", "port": PORT}` once listening, then
 * serves until SIGTERM/SIGINT. Drive it over HTTP with /__stub/* (see stub-model-server.ts).
 */
import { parseArgs } from "node:util";
import { startStubModelServer } from "./stub-model-server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "delay-ms": { type: "string", default: "0" },
    "record-limit": { type: "string", default: "500" },
  },
});

const delayMs = Number(values["delay-ms"]);
const stub = await startStubModelServer({
  port: Number(values.port),
  recordLimit: Number(values["record-limit"]),
  defaultBehavior: { type: "reply", delayMs },
});
process.stdout.write(`${JSON.stringify({ url: stub.url, port: stub.port })}\n`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void stub.close().then(() => process.exit(0));
  });
}
