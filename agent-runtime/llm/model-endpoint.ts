/**
 * The HTTP transport to an OpenAI-compatible model endpoint: node:http(s) with keep-alive agents,
 * JSON bodies in and out, server-sent events for streams.
 *
 * The model call is the runtime's hottest path. Measured on the benchmark's stub, going through
 * the `openai` package (its request building, Headers/Response objects and fetch plumbing) cost
 * about a third of the runtime's CPU per request; this does the same exchange with plain objects.
 *
 * Errors: `ModelHttpError` for a non-2xx answer, `ModelConnectionError` when there is no answer,
 * `ModelBadResponseError` for a 2xx that is not what was asked for, and an `AbortError` carrying
 * the signal's reason when the call's signal fires (before or during the answer).
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { ModelBadResponseError, ModelConnectionError, ModelHttpError } from "./model-http-errors.ts";
import { type ServerSentEvent, SseDataParser } from "./sse-data-parser.ts";

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

export type ModelEndpointOptions = { baseURL: string; apiKey: string | undefined; maxSockets?: number };

export function abortError(signal: AbortSignal): Error {
  const error = new Error("The operation was aborted", { cause: signal.reason });
  error.name = "AbortError";
  return error;
}

type Exchange = { response: IncomingMessage; finish: () => void; signal: AbortSignal };

function readText(exchange: Exchange): Promise<string> {
  const { response, signal } = exchange;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.once("end", () => {
      exchange.finish();
      resolve((chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString("utf8"));
    });
    response.once("error", (error) => {
      exchange.finish();
      reject(signal.aborted ? abortError(signal) : new ModelConnectionError(error));
    });
  });
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function failed(exchange: Exchange): Promise<never> {
  const { response } = exchange;
  throw new ModelHttpError(
    response.statusCode ?? 502,
    response.headers,
    parseJsonOrText(await readText(exchange)),
  );
}

const isSuccess = (response: IncomingMessage) => {
  const status = response.statusCode ?? 0;
  return status >= 200 && status < 300;
};

async function* eventsOf(exchange: Exchange): AsyncGenerator<ServerSentEvent> {
  const { response, signal } = exchange;
  const parser = new SseDataParser();
  response.setEncoding("utf8");
  try {
    for await (const text of response) yield* parser.feed(text as string);
    yield* parser.end();
  } catch (error) {
    throw signal.aborted ? abortError(signal) : new ModelConnectionError(error as Error);
  } finally {
    exchange.finish();
    // Stopped early (the client went away): closing the socket stops the generation upstream.
    if (!response.complete) response.destroy();
  }
}

export function createModelEndpoint(options: ModelEndpointOptions): ModelEndpoint {
  const base = new URL(options.baseURL);
  const secure = base.protocol === "https:";
  const send = secure ? httpsRequest : httpRequest;
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 256,
    scheduling: "lifo" as const,
  };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const target = {
    hostname: base.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: base.port ? Number(base.port) : secure ? 443 : 80,
    agent,
  };
  const pathPrefix = base.pathname.replace(/\/$/, "");
  const baseHeaders: OutgoingHttpHeaders = options.apiKey
    ? { authorization: `Bearer ${options.apiKey}` }
    : {};

  /** Sends one request; resolves once the answer's headers are in. */
  function exchange(
    method: string,
    path: string,
    body: string | undefined,
    headers: OutgoingHttpHeaders,
    signal: AbortSignal,
  ): Promise<Exchange> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(abortError(signal));
      const request = send({
        ...target,
        method,
        path: pathPrefix + path,
        headers:
          body === undefined
            ? { ...baseHeaders, ...headers }
            : { ...baseHeaders, ...headers, "content-length": Buffer.byteLength(body) },
      });
      // One listener for the whole exchange: an abort cuts the request or the answer being read.
      const onAbort = () => request.destroy(abortError(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      const finish = () => signal.removeEventListener("abort", onAbort);
      request.once("error", (error) => {
        finish();
        reject(signal.aborted ? abortError(signal) : new ModelConnectionError(error));
      });
      request.once("response", (response) => resolve({ response, finish, signal }));
      request.end(body);
    });
  }

  const jsonHeaders = (call: ModelCall, accept: string): OutgoingHttpHeaders => ({
    "content-type": "application/json",
    accept,
    ...call.headers,
  });

  return {
    async postJson(path, body, call) {
      const answer = await exchange("POST", path, body, jsonHeaders(call, "application/json"), call.signal);
      if (!isSuccess(answer.response)) return failed(answer);
      const text = await readText(answer);
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new ModelBadResponseError("the model endpoint answered with a body that is not JSON", {
          cause: error,
        });
      }
    },

    async postEventStream(path, body, call) {
      const answer = await exchange("POST", path, body, jsonHeaders(call, "text/event-stream"), call.signal);
      if (!isSuccess(answer.response)) return failed(answer);
      const type = answer.response.headers["content-type"] ?? "";
      if (!type.includes("text/event-stream")) {
        await readText(answer);
        throw new ModelBadResponseError(
          `the model endpoint answered a stream request with ${type || "no content type"}`,
        );
      }
      return eventsOf(answer);
    },

    async status(path, timeoutMs) {
      const answer = await exchange("GET", path, undefined, {}, AbortSignal.timeout(timeoutMs));
      await readText(answer);
      return answer.response.statusCode ?? 0;
    },
  };
}
