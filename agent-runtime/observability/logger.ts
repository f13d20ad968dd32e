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

/**
 * Logs go to stdout through an asynchronous writer: lines written while a write is in flight are
 * coalesced into the next one, so a busy process makes far fewer syscalls. pino flushes it
 * synchronously when the process exits.
 */
export function createLogger(
  options: { level: string; revision: string },
  destination: DestinationStream = pino.destination({ dest: 1, sync: false }),
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
