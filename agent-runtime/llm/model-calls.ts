/** What callers of the model endpoint see: the calls, their context and what they answer. */
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";
import type { BreakerSnapshot } from "./circuit-breaker.ts";

export type CallContext = {
  /** Aborted when the client disconnects; aborts the HTTP call to the model. */
  signal: AbortSignal;
  /**
   * Aborted when the turn's deadline passes, with the error the turn ends with as its reason:
   * cancels the model call in flight and refuses the next ones.
   */
  deadline?: AbortSignal;
  /** Propagated to the provider (x-request-id, traceparent). */
  headers: Record<string, string>;
  /** Where calls add the time they waited for the model or a tool (agentry_request_overhead_seconds). */
  upstream?: UpstreamTime;
};

/** Milliseconds a request spent waiting for the model and its tools. */
export type UpstreamTime = { ms: number };

export type ProbeResult = { ok: boolean; detail: string };

/** One event of a relayed stream, as the provider sent its data. */
export type RelayedEvent = {
  data: string;
  /** A chunk that only carries usage (no choices): relayed only to clients that asked for it. */
  usageOnly: boolean;
};

export type ModelClient = {
  /** `body` is the JSON of a chat completion request (without `stream: true`). */
  complete(body: string, context: CallContext): Promise<ChatCompletion>;
  /**
   * `body` is the JSON of a streamed chat completion request. Resolves once the stream is open
   * (retries happen before that); iterating yields the chunks.
   */
  stream(body: string, context: CallContext): Promise<AsyncIterable<ChatCompletionChunk>>;
  /** Checks the endpoint answers, without spending tokens (GET /models). */
  probe(timeoutMs: number): Promise<ProbeResult>;
  breaker(): BreakerSnapshot;
};

/** `/v1/chat/completions`: the provider's answer relayed as sent, under the same policy. */
export type ModelPassthrough = {
  /** Pass-through of a non-stream request: the provider's JSON text, unparsed for the client. */
  forward(body: string, context: CallContext): Promise<string>;
  /** Pass-through of a stream request: the provider's events up to `[DONE]` (not included). */
  forwardStream(body: string, context: CallContext): Promise<AsyncIterable<RelayedEvent>>;
};

export type ModelConnection = ModelClient &
  ModelPassthrough & {
    /** Closes the connections to the endpoint. */
    close(): Promise<void>;
  };

/** Runs `work`, adding the time it waited to the request's upstream time. */
export async function timedUpstream<T>(context: CallContext, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    if (context.upstream) context.upstream.ms += performance.now() - started;
  }
}
