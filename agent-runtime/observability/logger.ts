/**
 * JSON logs with pino. Credentials are redacted wherever they might appear; message text and
 * model answers are never logged unless content logging is switched on.
 */
import { type DestinationStream, type Logger, pino } from "pino";

/**
 * Where credentials could appear in what we log. Explicit paths only: wildcard redaction costs
 * CPU on every line, and the runtime never logs raw config or request bodies.
 */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  "req.headers.cookie",
  "headers.authorization",
  'headers["x-api-key"]',
];

/** Lines are held until this much is buffered, or until the next periodic flush. */
export const LOG_BUFFER_BYTES = 4096;
export const LOG_FLUSH_INTERVAL_MS = 250;

/**
 * Stdout through a buffering writer: lines are written in batches of about 4 KiB, and at least
 * every 250 ms, so a busy process makes one write syscall per dozen lines instead of one per line
 * (a write per request cost about as much CPU as pino formatting the line). The batches are
 * written synchronously, as pino does by default: no thread-pool hand-off per write, and if the
 * reader of stdout falls behind, the process slows down instead of buffering without bound.
 * The buffer is flushed when the process exits, so only a SIGKILL can lose the last 250 ms.
 */
export function createLogDestination(): DestinationStream {
  const destination = pino.destination({
    dest: 1,
    sync: true,
    minLength: LOG_BUFFER_BYTES,
    periodicFlush: LOG_FLUSH_INTERVAL_MS,
  });
  // pino flushes only its asynchronous destinations on exit; this one holds a batch too.
  process.once("exit", () => {
    try {
      destination.flushSync();
    } catch {
      // stdout already closed: nothing left to write to.
    }
  });
  return destination;
}

export function createLogger(
  options: { level: string; revision: string },
  destination: DestinationStream = createLogDestination(),
): Logger {
  return pino(
    {
      level: options.level,
      base: { service: "agentry-runtime", revision: options.revision },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** What may be logged of user or model text under the current content-logging setting. */
export function loggableContent(text: string, logContent: boolean): string {
  return logContent ? text : `[redacted ${text.length} chars]`;
}
