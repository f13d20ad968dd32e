/**
 * Stable codes of a failed call to the API server:
 * - KUBE_API: the server answered with an error status (see `status` and `reason`);
 * - KUBE_API_TIMEOUT: no complete answer within the request timeout (the request was aborted);
 * - KUBE_API_WATCH_IDLE: a watch sent nothing, not even a bookmark, for the idle timeout;
 * - KUBE_API_UNREACHABLE: the connection failed (refused, reset, TLS, proxy);
 * - KUBE_API_CREDENTIALS: no request was sent because the kubeconfig's credentials could not be
 *   had (an exec plugin failed, an OIDC token could not be renewed, a token file is missing).
 */
export type KubeApiErrorCode =
  | "KUBE_API"
  | "KUBE_API_TIMEOUT"
  | "KUBE_API_WATCH_IDLE"
  | "KUBE_API_UNREACHABLE"
  | "KUBE_API_CREDENTIALS";

/** Getting the credentials for a call failed; `cause` says why (see KUBE_API_CREDENTIALS). */
export class CredentialsUnavailable extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "CredentialsUnavailable";
  }
}

/** A failed request to the API server, with the status the server gave (0 when it gave none). */
export class KubeApiError extends Error {
  readonly code: KubeApiErrorCode;
  readonly status: number;
  readonly reason: string;
  readonly verb: string;
  readonly path: string;
  /** The server's Retry-After, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    verb: string,
    path: string,
    status: number,
    reason: string,
    message: string,
    options?: ErrorOptions & { code?: KubeApiErrorCode; retryAfterMs?: number | undefined },
  ) {
    super(`${verb} ${path}: ${status === 0 ? "" : `${status} `}${reason}: ${message}`, options);
    this.name = "KubeApiError";
    this.code = options?.code ?? "KUBE_API";
    this.status = status;
    this.reason = reason;
    this.verb = verb;
    this.path = path;
    this.retryAfterMs = options?.retryAfterMs;
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isConflict(): boolean {
    return this.status === 409;
  }

  get isGone(): boolean {
    return this.status === 410;
  }

  /** The server asked to be asked again later: 429, or a 5xx with Retry-After. */
  get isRetryable(): boolean {
    return this.status === 429 || (this.status >= 500 && this.retryAfterMs !== undefined);
  }

  /** The API server could not be talked to at all (as opposed to answering "no"). */
  get isUnavailable(): boolean {
    return this.code !== "KUBE_API" || this.status >= 500 || this.status === 429;
  }
}
