/** A failed request to the API server, with the status the server gave. */
export class KubeApiError extends Error {
  readonly code = "KUBE_API";
  readonly status: number;
  readonly reason: string;
  readonly verb: string;
  readonly path: string;

  constructor(
    verb: string,
    path: string,
    status: number,
    reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${verb} ${path}: ${status} ${reason}: ${message}`, options);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
    this.verb = verb;
    this.path = path;
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
}
