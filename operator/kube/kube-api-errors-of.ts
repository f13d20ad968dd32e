/** KubeApiError from what a request got: the server's error answer, or no answer at all. */
import { CredentialsUnavailable, KubeApiError } from "./kube-api-error.ts";
import { parseRetryAfter } from "./retry-after.ts";

/** What of an answer an error needs: its status and headers. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

export function errorOfAnswer(verb: string, path: string, response: ErrorAnswer, text: string): KubeApiError {
  const retryAfterMs = parseRetryAfter(response.headers["retry-after"]);
  try {
    const body = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(verb, path, response.status, body.reason ?? "Unknown", body.message ?? text, {
      retryAfterMs,
    });
  } catch {
    return new KubeApiError(verb, path, response.status, "Unknown", text.slice(0, 500), { retryAfterMs });
  }
}

export function transportError(verb: string, path: string, error: unknown, timedOut: boolean): KubeApiError {
  if (error instanceof KubeApiError) return error;
  if (error instanceof CredentialsUnavailable) {
    return new KubeApiError(verb, path, 0, "NoCredentials", `no credentials: ${error.message}`, {
      code: "KUBE_API_CREDENTIALS",
      cause: error.cause,
    });
  }
  if (timedOut) {
    return new KubeApiError(verb, path, 0, "Timeout", "no answer within the request timeout", {
      code: "KUBE_API_TIMEOUT",
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new KubeApiError(verb, path, 0, "Unreachable", message, {
    code: "KUBE_API_UNREACHABLE",
    cause: error,
  });
}
