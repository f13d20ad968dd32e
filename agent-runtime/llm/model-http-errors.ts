/** What the transport to the model endpoint throws; `classify-model-error.ts` maps them. */

/** The endpoint answered with a status outside 2xx. */
export class ModelHttpError extends Error {
  readonly status: number;
  /** Lower-case names, as the HTTP client parses them. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, parsed as JSON when it is JSON, else its text. */
  readonly body: unknown;

  constructor(status: number, headers: Readonly<Record<string, string>>, body: unknown) {
    super(`the model endpoint answered HTTP ${status}${detailOf(body)}`);
    this.name = "ModelHttpError";
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  /** The OpenAI-style `error` object of the body, when there is one. */
  get errorObject(): Record<string, unknown> | undefined {
    const error = (this.body as { error?: unknown } | null)?.error;
    return typeof error === "object" && error !== null ? (error as Record<string, unknown>) : undefined;
  }

  header(name: string): string | undefined {
    return this.headers[name];
  }
}

/** No HTTP answer: refused, reset, DNS, TLS. */
export class ModelConnectionError extends Error {
  constructor(cause: Error) {
    super(`the model endpoint is unreachable: ${cause.message}`, { cause });
    this.name = "ModelConnectionError";
  }
}

/** The endpoint answered 2xx with something that is not what was asked for. */
export class ModelBadResponseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ModelBadResponseError";
  }
}

function detailOf(body: unknown): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  if (typeof message === "string") return `: ${message.slice(0, 200)}`;
  if (typeof body === "string" && body.length > 0) return `: ${body.slice(0, 200)}`;
  return "";
}
