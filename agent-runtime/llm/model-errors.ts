/**
 * What model calls throw besides the `openai` SDK's own errors; `classify-model-error.ts` maps
 * them all to typed runtime errors.
 */
import { APIError } from "openai";

/**
 * A non-2xx answer to a pass-through request. An `APIError`, like the SDK's, so one classifier
 * reads status and headers; it also keeps the answer's bytes, which a pass-through relays as sent.
 */
export class ModelHttpError extends APIError<number, Headers> {
  /** The answer's body as the provider sent it (decoded). */
  readonly body: string;
  readonly contentType: string | undefined;

  constructor(status: number, headers: Headers, body: string) {
    super(status, errorObjectOf(body), undefined, headers);
    this.name = "ModelHttpError";
    this.body = body;
    this.contentType = headers.get("content-type") ?? undefined;
  }
}

/** Starts the message of an error event inside a stream; the provider's own text follows it. */
export const STREAM_ERROR_PREFIX = "the model endpoint ended the stream with an error";

/**
 * Separates our message from the provider's reason quoted after it. That reason can quote the
 * user's input, so logs cut the message here unless content logging is on.
 */
export const PROVIDER_REASON_MARKER = "; the provider says: ";

/** The endpoint answered 2xx with something that is not what was asked for. */
export class ModelBadResponseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ModelBadResponseError";
  }
}

/** The answer (decoded) is larger than the configured cap; reading stopped there. */
export class ModelResponseTooLargeError extends Error {
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(`the model endpoint's answer is larger than ${limitBytes} bytes`);
    this.name = "ModelResponseTooLargeError";
    this.limitBytes = limitBytes;
  }
}

function errorObjectOf(body: string): object | undefined {
  try {
    const error = (JSON.parse(body) as { error?: unknown } | null)?.error;
    return typeof error === "object" && error !== null ? error : undefined;
  } catch {
    return body === "" ? undefined : { message: body.slice(0, 200) };
  }
}
