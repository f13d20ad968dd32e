/**
 * Process entry point: parse the environment once, wire the dependencies, listen, and drain on
 * SIGTERM/SIGINT (stop accepting, let in-flight requests finish up to the deadline, close Redis).
 *   node agent-runtime/server.ts
 */
import { buildApp } from "./app.ts";
import { parseRuntimeConfig } from "./config/parse-runtime-config.ts";
import { ConfigError, type RuntimeConfig } from "./config/runtime-config.ts";
import { createDeps } from "./create-deps.ts";
import { createLogger } from "./observability/logger.ts";

let config: RuntimeConfig;
try {
  config = parseRuntimeConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`agentry runtime: ${error.message}\n`);
  process.exit(1);
}

const logger = createLogger({ level: config.log.level, revision: config.revision });

/** The log destination flushes its last batch on exit (see createLogDestination). */
function exit(code: number): never {
  process.exit(code);
}
let draining = false;
const runtime = createDeps(config, { logger, isDraining: () => draining });
const app = buildApp(runtime.deps);
app.addHook("onClose", async () => {
  await runtime.close();
});

process.on("unhandledRejection", (reason) => {
  // One stray promise must not take down every other in-flight conversation.
  logger.error({ err: reason }, "unhandled promise rejection");
});

async function shutdown(signal: string): Promise<void> {
  if (draining) return;
  draining = true;
  const deadlineMs = config.server.shutdownDeadlineMs;
  logger.info({ signal, deadlineMs }, "draining: no new connections, finishing in-flight requests");
  let deadlinePassed = false;
  const deadline = setTimeout(() => {
    deadlinePassed = true;
    logger.error({ deadlineMs }, "shutdown deadline passed; closing the remaining connections");
    app.server.closeAllConnections();
    setTimeout(() => exit(1), 200).unref();
  }, deadlineMs);
  deadline.unref();
  // Keep-alive connections become idle as their last response ends; close them as they do.
  const idleSweeper = setInterval(() => app.server.closeIdleConnections(), 50);
  idleSweeper.unref();
  try {
    await app.close();
    // Exit 1 when requests were cut off, so the cut shows up in the pod's last state.
    logger.info(
      { deadlinePassed },
      deadlinePassed ? "closed after the deadline; exiting" : "drained; exiting",
    );
    exit(deadlinePassed ? 1 : 0);
  } catch (error) {
    logger.error({ err: error }, "error while shutting down");
    exit(1);
  }
}

process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));

try {
  const address = await app.listen({ host: config.server.host, port: config.server.port });
  const { port } = app.server.address() as { port: number };
  logger.info({ address, port }, "agent runtime listening");
} catch (error) {
  logger.fatal({ err: error }, "could not listen");
  exit(1);
}
