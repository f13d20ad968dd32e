/**
 * Typed errors with stable codes. Clients and dashboards key on `code`, so codes never change
 * meaning; every code maps to one HTTP status.
 */
export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  SESSIONS_DISABLED: 400,
  UNAUTHENTICATED: 401,
  /** A valid token that names no caller (no subject claim): refused so callers never share an identity. */
  TOKEN_SUBJECT_MISSING: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  /** The provider refused what the caller sent (its 400/413/422: too long for the context, a bad parameter). */
  MODEL_INPUT_REJECTED: 400,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  SESSION_LIMIT_REACHED: 429,
  /** The caller already runs AGENTRY_MAX_CONCURRENT_TURNS_PER_CALLER turns on this replica. */
  CALLER_TURN_LIMIT_REACHED: 429,
  HEADERS_TOO_LARGE: 431,
  /** nginx's convention: the client closed the connection before the answer was ready. */
  CLIENT_CLOSED: 499,
  INTERNAL: 500,
  MODEL_ERROR: 502,
  /** The provider refused the runtime's own credentials (its 401/403): an operator's problem, not the client's. */
  MODEL_AUTH_FAILED: 502,
  MODEL_BAD_RESPONSE: 502,
  MODEL_REQUEST_REJECTED: 502,
  MODEL_RESPONSE_TOO_LARGE: 502,
  MODEL_CIRCUIT_OPEN: 503,
  MODEL_UNAVAILABLE: 503,
  REDIS_UNAVAILABLE: 503,
  AUTH_UNAVAILABLE: 503,
  /** This replica already runs AGENTRY_MAX_CONCURRENT_TURNS turns. */
  TURN_LIMIT_REACHED: 503,
  MODEL_TIMEOUT: 504,
  /** The turn ran longer than AGENTRY_TURN_DEADLINE_SECONDS. */
  TURN_DEADLINE_EXCEEDED: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type FieldError = { path: string; message: string };

export class RuntimeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds the client should wait before retrying; sent as Retry-After. */
  readonly retryAfterSeconds: number | undefined;
  readonly fields: FieldError[] | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number; fields?: FieldError[] } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "RuntimeError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.fields = options.fields;
  }
}

export function isRuntimeError(error: unknown): error is RuntimeError {
  return error instanceof RuntimeError;
}

/** The JSON error body; `message` and `type` keep OpenAI SDK clients able to read it. */
export function errorBody(error: RuntimeError, requestId: string) {
  return {
    error: {
      code: error.code,
      type: error.status >= 500 ? "server_error" : "invalid_request_error",
      message: error.message,
      requestId,
      ...(error.fields ? { fields: error.fields } : {}),
    },
  };
}
