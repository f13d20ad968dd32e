/**
 * The HTTP transport to an OpenAI-compatible model endpoint: JSON bodies in and out, server-sent
 * events for streams, over `http1-client.ts` (keep-alive connections, HTTP or HTTPS).
 *
 * The model call is the runtime's hottest path. Measured on the benchmark's stub, going through
 * the `openai` package (its request building, Headers/Response objects and fetch plumbing) cost
 * about a third of the runtime's CPU per request, and Node's http client about a fifth of what
 * remained; this does the same exchange with plain objects.
 *
 * Errors: `ModelHttpError` for a non-2xx answer, `ModelConnectionError` when there is no answer,
 * `ModelBadResponseError` for a 2xx that is not what was asked for, and an `AbortError` carrying
 * the signal's reason when the call's signal fires (before or during the answer).
 */
import { StringDecoder } from "node:string_decoder";
import { abortError, createHttp1Client, type Http1Response } from "./http1-client.ts";
import { ModelBadResponseError, ModelConnectionError, ModelHttpError } from "./model-http-errors.ts";
import { type ServerSentEvent, SseDataParser } from "./sse-data-parser.ts";

export { abortError } from "./http1-client.ts";

export type ModelCall = {
  /** Extra request headers (request id, traceparent). */
  headers: Record<string, string>;
  signal: AbortSignal;
};

export type ModelEndpoint = {
  /** POSTs a JSON body to `baseURL + path` and resolves with the parsed JSON answer. */
  postJson(path: string, body: string, call: ModelCall): Promise<unknown>;
  /** POSTs a JSON body and resolves once a 2xx event stream has started; iterate it for events. */
  postEventStream(path: string, body: string, call: ModelCall): Promise<AsyncGenerator<ServerSentEvent>>;
  /** GETs `baseURL + path` and resolves with the status, the body discarded. */
  status(path: string, timeoutMs: number): Promise<number>;
};

export type ModelEndpointOptions = { baseURL: string; apiKey: string | undefined };

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const isSuccess = (response: Http1Response) => response.status >= 200 && response.status < 300;

export function createModelEndpoint(options: ModelEndpointOptions): ModelEndpoint {
  const base = new URL(options.baseURL);
  const secure = base.protocol === "https:";
  const client = createHttp1Client({
    host: base.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: base.port ? Number(base.port) : secure ? 443 : 80,
    tls: secure,
  });
  const pathPrefix = base.pathname.replace(/\/$/, "");
  const authorization: Record<string, string> = options.apiKey
    ? { authorization: `Bearer ${options.apiKey}` }
    : {};

  /** Maps what the connection threw: aborts stay aborts, anything else means no usable answer. */
  const connectionFailure = (error: unknown, signal: AbortSignal): Error =>
    signal.aborted ? abortError(signal) : new ModelConnectionError(error as Error);

  async function send(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Http1Response> {
    try {
      return await client.request({ method, path: pathPrefix + path, headers, body, signal });
    } catch (error) {
      throw connectionFailure(error, signal);
    }
  }

  async function readText(response: Http1Response, signal: AbortSignal): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw connectionFailure(error, signal);
    }
  }

  async function failed(response: Http1Response, signal: AbortSignal): Promise<never> {
    throw new ModelHttpError(
      response.status,
      response.headers,
      parseJsonOrText(await readText(response, signal)),
    );
  }

  async function* eventsOf(response: Http1Response, signal: AbortSignal): AsyncGenerator<ServerSentEvent> {
    const parser = new SseDataParser();
    const decoder = new StringDecoder("utf8");
    let finished = false;
    try {
      for await (const chunk of response.chunks()) yield* parser.feed(decoder.write(chunk));
      yield* parser.feed(decoder.end());
      yield* parser.end();
      finished = true;
    } catch (error) {
      throw connectionFailure(error, signal);
    } finally {
      // Stopped early (the client went away): closing the connection stops the generation upstream.
      if (!finished) response.cancel();
    }
  }

  const jsonHeaders = (call: ModelCall, accept: string): Record<string, string> => ({
    "content-type": "application/json",
    accept,
    ...authorization,
    ...call.headers,
  });

  return {
    async postJson(path, body, call) {
      const response = await send("POST", path, body, jsonHeaders(call, "application/json"), call.signal);
      if (!isSuccess(response)) return failed(response, call.signal);
      const text = await readText(response, call.signal);
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new ModelBadResponseError("the model endpoint answered with a body that is not JSON", {
          cause: error,
        });
      }
    },

    async postEventStream(path, body, call) {
      const response = await send("POST", path, body, jsonHeaders(call, "text/event-stream"), call.signal);
      if (!isSuccess(response)) return failed(response, call.signal);
      const type = response.headers["content-type"] ?? "";
      if (!type.includes("text/event-stream")) {
        await readText(response, call.signal);
        throw new ModelBadResponseError(
          `the model endpoint answered a stream request with ${type || "no content type"}`,
        );
      }
      return eventsOf(response, call.signal);
    },

    async status(path, timeoutMs) {
      const signal = AbortSignal.timeout(timeoutMs);
      const response = await send("GET", path, undefined, { ...authorization }, signal);
      await readText(response, signal);
      return response.status;
    },
  };
}
