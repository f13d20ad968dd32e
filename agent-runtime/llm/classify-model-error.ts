import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { LlmOutcome } from "../contract/metric-names.ts";
import { RuntimeError } from "../errors.ts";
import {
  ModelBadResponseError,
  ModelResponseTooLargeError,
  PROVIDER_REASON_MARKER,
  STREAM_ERROR_PREFIX,
} from "./model-errors.ts";
import { redactProviderText } from "./redact-provider-text.ts";
import { parseRetryAfterMs } from "./retry-delay.ts";

export type ClassifiedModelError = {
  outcome: LlmOutcome;
  retryable: boolean;
  /** Whether this failure says something about the endpoint's health (feeds the breaker). */
  countsAsFailure: boolean;
  retryAfterMs: number | undefined;
  error: RuntimeError;
};

/**
 * Provider 4xx that the request itself caused: its content (a message too long for the model's
 * context, a parameter the model does not take, a body too large). Those are the caller's to fix,
 * answered 400 and kept out of the revision's error rates; any other 4xx (a 404 of the agent's
 * model, a 402 of its account) says the revision is misconfigured.
 */
const CALLER_MISTAKES = new Set([400, 413, 422]);
/** How much of a provider's reason a caller is shown. */
const REASON_CHARS = 500;

/** undici's codes for a response head or body that took too long. */
const UNDICI_TIMEOUTS = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** The error and its causes, outermost first. */
function* causesOf(thrown: unknown): Generator<unknown> {
  let current = thrown;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

function find<T>(thrown: unknown, match: (error: unknown) => error is T): T | undefined {
  for (const error of causesOf(thrown)) if (match(error)) return error;
  return undefined;
}

const is =
  <T>(type: abstract new (...args: never[]) => T) =>
  (error: unknown): error is T =>
    error instanceof type;

/** llhttp (undici's parser) rejected the answer: bad framing, bad header syntax. */
const isMalformedHttp = (error: unknown): error is Error =>
  codeOf(error).startsWith("HPE_") || (error as Error | null)?.name === "HTTPParserError";

const isUndiciTimeout = (error: unknown): error is Error =>
  error instanceof APIConnectionTimeoutError || UNDICI_TIMEOUTS.has(codeOf(error));

/** No usable answer: refused, reset, DNS, TLS, a proxy that failed, a connection cut mid-body. */
const isConnectionFailure = (error: unknown): error is Error =>
  error instanceof APIConnectionError || /^(UND_ERR_|E[A-Z]+$)/.test(codeOf(error));

function failure(
  outcome: LlmOutcome,
  error: RuntimeError,
  options: { retryable?: boolean; countsAsFailure?: boolean; retryAfterMs?: number } = {},
): ClassifiedModelError {
  return {
    outcome,
    retryable: options.retryable ?? false,
    countsAsFailure: options.countsAsFailure ?? true,
    retryAfterMs: options.retryAfterMs,
    error,
  };
}

function classifyStatus(
  thrown: APIError,
  status: number,
  nowMs: number,
  apiKey: string | undefined,
): ClassifiedModelError {
  const header = (name: string) => thrown.headers?.get(name) ?? undefined;
  const retryAfterMs = parseRetryAfterMs(header("retry-after"), header("retry-after-ms"), nowMs);
  if (status === 429) {
    const error = new RuntimeError("MODEL_UNAVAILABLE", "the model endpoint is rate limiting this agent", {
      cause: thrown,
      retryAfterSeconds: Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000)),
    });
    return failure("rate_limited", error, { retryable: true, retryAfterMs });
  }
  if (status >= 500 || status === 408 || status === 409) {
    const error = new RuntimeError("MODEL_ERROR", `the model endpoint failed with HTTP ${status}`, {
      cause: thrown,
    });
    return failure("server_error", error, { retryable: true, retryAfterMs });
  }
  if (status === 401 || status === 403) {
    const error = new RuntimeError(
      "MODEL_AUTH_FAILED",
      `the runtime's credentials for the model provider were refused (HTTP ${status})`,
      { cause: thrown },
    );
    // The agent's own key: the revision's failure (a rotated, wrong key), not the caller's.
    return failure("auth_failed", error, { countsAsFailure: false });
  }
  if (CALLER_MISTAKES.has(status)) {
    const error = new RuntimeError(
      "MODEL_INPUT_REJECTED",
      `the model endpoint refused this request as invalid (HTTP ${status})${reasonOf(thrown, apiKey)}`,
      { cause: thrown },
    );
    return failure("client_error", error, { countsAsFailure: false });
  }
  const error = new RuntimeError(
    "MODEL_REQUEST_REJECTED",
    `the model endpoint rejected the request with HTTP ${status}`,
    { cause: thrown },
  );
  return failure("request_rejected", error, { countsAsFailure: false });
}

/** The provider's own explanation, redacted and cut short, after the marker logs cut at. */
function reasonOf(thrown: APIError, apiKey: string | undefined): string {
  const message = (thrown.error as { message?: unknown } | undefined)?.message;
  if (typeof message !== "string" || message.trim() === "") return "";
  const reason = redactProviderText(message.trim(), apiKey);
  const cut = reason.length > REASON_CHARS ? `${reason.slice(0, REASON_CHARS)}…` : reason;
  return `${PROVIDER_REASON_MARKER}${cut}`;
}

/**
 * Maps whatever a model call threw (the `openai` SDK's `APIError` family, undici's errors, our
 * own) to a metric outcome, a retry decision and the typed error the client sees.
 * `aborted`/`timedOut` come from the caller, which owns the AbortController.
 */
export function classifyModelError(
  thrown: unknown,
  context: {
    aborted: boolean;
    timedOut: boolean;
    timeoutMs: number;
    nowMs: number;
    /** The runtime's own provider key: removed from any provider text the client would see. */
    apiKey?: string | undefined;
  },
): ClassifiedModelError {
  if (thrown instanceof RuntimeError) return failure("bad_response", thrown);
  if (context.aborted) {
    const error = new RuntimeError("CLIENT_CLOSED", "the client closed the connection", { cause: thrown });
    return failure("aborted", error, { countsAsFailure: false });
  }
  const timeout = () =>
    failure(
      "timeout",
      new RuntimeError("MODEL_TIMEOUT", `the model endpoint did not answer within ${context.timeoutMs} ms`, {
        cause: thrown,
      }),
    );
  if (context.timedOut) return timeout();

  const tooLarge = find(thrown, is(ModelResponseTooLargeError));
  if (tooLarge) {
    return failure(
      "bad_response",
      new RuntimeError("MODEL_RESPONSE_TOO_LARGE", tooLarge.message, { cause: thrown }),
    );
  }
  if (find(thrown, isUndiciTimeout)) return timeout();
  const malformed = find(thrown, isMalformedHttp);
  if (malformed) {
    return failure(
      "bad_response",
      new RuntimeError(
        "MODEL_BAD_RESPONSE",
        `the model endpoint sent a malformed HTTP response (${codeOf(malformed) || malformed.message})`,
        { cause: thrown },
      ),
    );
  }
  if (thrown instanceof APIUserAbortError) {
    const error = new RuntimeError("CLIENT_CLOSED", "the model call was cancelled", { cause: thrown });
    return failure("aborted", error, { countsAsFailure: false });
  }
  if (thrown instanceof APIError && typeof thrown.status === "number") {
    return classifyStatus(thrown, thrown.status, context.nowMs, context.apiKey);
  }
  if (find(thrown, isConnectionFailure)) {
    const error = new RuntimeError("MODEL_UNAVAILABLE", "the model endpoint is unreachable", {
      cause: thrown,
      retryAfterSeconds: 1,
    });
    return failure("connection_error", error, { retryable: true });
  }
  return failure(
    "bad_response",
    new RuntimeError("MODEL_BAD_RESPONSE", redactProviderText(badResponseMessage(thrown), context.apiKey), {
      cause: thrown,
    }),
  );
}

function badResponseMessage(thrown: unknown): string {
  if (thrown instanceof ModelBadResponseError) return thrown.message;
  // An APIError without a status is an error event inside a stream.
  if (thrown instanceof APIError) return `${STREAM_ERROR_PREFIX}: ${thrown.message}`;
  if (thrown instanceof SyntaxError) return "the model endpoint answered with a body that is not JSON";
  return "the model endpoint sent a response that could not be read";
}
