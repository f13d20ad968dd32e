import { RuntimeError } from "../errors.ts";
import type { LlmOutcome } from "../observability/metrics.ts";
import { ModelBadResponseError, ModelConnectionError, ModelHttpError } from "./model-http-errors.ts";
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
 * Maps whatever a model call threw to a metric outcome, a retry decision and the typed error the
 * client sees. `aborted`/`timedOut` come from the caller, which owns the AbortController.
 */
export function classifyModelError(
  thrown: unknown,
  context: { aborted: boolean; timedOut: boolean; timeoutMs: number; nowMs: number },
): ClassifiedModelError {
  if (thrown instanceof RuntimeError) {
    return {
      outcome: "bad_response",
      retryable: false,
      countsAsFailure: true,
      retryAfterMs: undefined,
      error: thrown,
    };
  }
  if (context.aborted) {
    return {
      outcome: "aborted",
      retryable: false,
      countsAsFailure: false,
      retryAfterMs: undefined,
      error: new RuntimeError("CLIENT_CLOSED", "the client closed the connection", { cause: thrown }),
    };
  }
  if (context.timedOut) {
    return {
      outcome: "timeout",
      retryable: false,
      countsAsFailure: true,
      retryAfterMs: undefined,
      error: new RuntimeError(
        "MODEL_TIMEOUT",
        `the model endpoint did not answer within ${context.timeoutMs} ms`,
        {
          cause: thrown,
        },
      ),
    };
  }
  if (thrown instanceof ModelConnectionError) {
    return {
      outcome: "connection_error",
      retryable: true,
      countsAsFailure: true,
      retryAfterMs: undefined,
      error: new RuntimeError("MODEL_UNAVAILABLE", "the model endpoint is unreachable", {
        cause: thrown,
        retryAfterSeconds: 1,
      }),
    };
  }
  if (thrown instanceof ModelHttpError) {
    const status = thrown.status;
    const retryAfterMs = parseRetryAfterMs(
      thrown.header("retry-after"),
      thrown.header("retry-after-ms"),
      context.nowMs,
    );
    if (status === 429) {
      return {
        outcome: "rate_limited",
        retryable: true,
        countsAsFailure: true,
        retryAfterMs,
        error: new RuntimeError("MODEL_UNAVAILABLE", "the model endpoint is rate limiting this agent", {
          cause: thrown,
          retryAfterSeconds: Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000)),
        }),
      };
    }
    if (status >= 500 || status === 408 || status === 409) {
      return {
        outcome: "server_error",
        retryable: true,
        countsAsFailure: true,
        retryAfterMs,
        error: new RuntimeError("MODEL_ERROR", `the model endpoint failed with HTTP ${status}`, {
          cause: thrown,
        }),
      };
    }
    return {
      outcome: "client_error",
      retryable: false,
      countsAsFailure: false,
      retryAfterMs: undefined,
      error: new RuntimeError(
        "MODEL_REQUEST_REJECTED",
        `the model endpoint rejected the request with HTTP ${status}`,
        {
          cause: thrown,
        },
      ),
    };
  }
  return {
    outcome: "bad_response",
    retryable: false,
    countsAsFailure: true,
    retryAfterMs: undefined,
    error: new RuntimeError(
      "MODEL_BAD_RESPONSE",
      thrown instanceof ModelBadResponseError
        ? thrown.message
        : "the model endpoint sent a response that could not be read",
      {
        cause: thrown,
      },
    ),
  };
}
