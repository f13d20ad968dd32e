/**
 * What a log line says about a failed model call. A provider's error text can carry the runtime's
 * key (echoed back in a 401) or the user's input (echoed in a 400), so it is logged only when
 * content logging is on; status, provider code and type always are. (A stream's error event is an
 * APIError without a status: the same rule applies.)
 */
import { APIError } from "openai";
import { PROVIDER_REASON_MARKER, STREAM_ERROR_PREFIX } from "./model-errors.ts";

/** An error's message for a log line: the provider's quoted text only with content logging. */
export function loggableErrorMessage(message: string, logContent: boolean): string {
  if (logContent) return message;
  if (message.startsWith(STREAM_ERROR_PREFIX)) return STREAM_ERROR_PREFIX;
  const reasonAt = message.indexOf(PROVIDER_REASON_MARKER);
  return reasonAt === -1 ? message : message.slice(0, reasonAt);
}

export function providerErrorLogFields(cause: unknown, logContent: boolean): Record<string, unknown> {
  // Connection failures, timeouts and our own errors say nothing the provider wrote.
  if (!(cause instanceof APIError)) return { cause: (cause as Error | undefined)?.message };
  return {
    upstream: {
      status: cause.status,
      code: cause.code ?? undefined,
      type: cause.type ?? undefined,
      ...(logContent ? { message: cause.message } : {}),
    },
  };
}
