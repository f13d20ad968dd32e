/**
 * The only code that talks to the model endpoint: chat completions over `model-endpoint.ts` with
 * per-attempt timeouts, retries (backoff + jitter, honouring Retry-After), a circuit breaker and
 * the `agentry_llm_*` metrics. Every attempt is counted and timed.
 */
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";
import { RuntimeError } from "../errors.ts";
import type { RuntimeMetrics } from "../observability/metrics.ts";
import { type BreakerSnapshot, CircuitBreaker } from "./circuit-breaker.ts";
import { type ClassifiedModelError, classifyModelError } from "./classify-model-error.ts";
import { createModelEndpoint } from "./model-endpoint.ts";
import { ModelBadResponseError } from "./model-http-errors.ts";
import { computeRetryDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-delay.ts";
import type { ServerSentEvent } from "./sse-data-parser.ts";

export type CallContext = {
  /** Aborted when the client disconnects; aborts the HTTP call to the model. */
  signal: AbortSignal;
  /** Propagated to the provider (x-request-id, traceparent). */
  headers: Record<string, string>;
  /** Where calls add the time they waited for the model or a tool (agentry_request_overhead_seconds). */
  upstream?: UpstreamTime;
};

/** Milliseconds a request spent waiting for the model and its tools. */
export type UpstreamTime = { ms: number };

export type ProbeResult = { ok: boolean; detail: string };

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

export type ModelClientOptions = {
  baseURL: string;
  apiKey: string | undefined;
  timeoutMs: number;
  maxRetries: number;
  breaker: { failureThreshold: number; cooldownMs: number };
  metrics: RuntimeMetrics;
  retryPolicy?: RetryPolicy;
  random?: () => number;
  now?: () => number;
};

/** Abort plumbing for one attempt: the client's signal plus our own timeout. */
function attemptController(signal: AbortSignal, timeoutMs: number) {
  const controller = new AbortController();
  const state = { timedOut: false, timer: undefined as NodeJS.Timeout | undefined };
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", onAbort, { once: true });
  const arm = () => {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timedOut = true;
      controller.abort(new Error("timeout"));
    }, timeoutMs);
  };
  arm();
  return {
    signal: controller.signal,
    get timedOut() {
      return state.timedOut;
    },
    /** Streams use an idle timeout: every chunk re-arms it. */
    rearm: arm,
    dispose() {
      clearTimeout(state.timer);
      signal.removeEventListener("abort", onAbort);
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new RuntimeError("CLIENT_CLOSED", "the client closed the connection"));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RuntimeError("CLIENT_CLOSED", "the client closed the connection"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function assertCompletionShape(value: unknown): asserts value is ChatCompletion {
  const choices = (value as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || choices.length === 0 || typeof choices[0]?.message !== "object") {
    throw new ModelBadResponseError("the model endpoint answered without choices");
  }
}

/** Runs `work`, adding the time it waited to the request's upstream time. */
export async function timedUpstream<T>(context: CallContext, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    if (context.upstream) context.upstream.ms += performance.now() - started;
  }
}

/** One streamed chunk: the JSON of an event's data, or the error the endpoint sent in its place. */
function chunkOf(event: ServerSentEvent): ChatCompletionChunk {
  let value: unknown;
  try {
    value = JSON.parse(event.data);
  } catch (error) {
    throw new ModelBadResponseError("the model endpoint streamed an event that is not JSON", {
      cause: error,
    });
  }
  const error = (value as { error?: { message?: unknown } } | null)?.error;
  if (event.event === "error" || (typeof error === "object" && error !== null)) {
    const message = typeof error?.message === "string" ? error.message : event.data.slice(0, 200);
    throw new ModelBadResponseError(`the model endpoint ended the stream with an error: ${message}`);
  }
  if (!Array.isArray((value as { choices?: unknown } | null)?.choices)) {
    throw new ModelBadResponseError("the model endpoint streamed a chunk without choices");
  }
  return value as ChatCompletionChunk;
}

/** The chunks of a completion stream, up to `[DONE]`. */
async function* chunksOf(events: AsyncGenerator<ServerSentEvent>): AsyncGenerator<ChatCompletionChunk> {
  for await (const event of events) {
    if (event.data === "[DONE]") return;
    yield chunkOf(event);
  }
}

export function createModelClient(options: ModelClientOptions): ModelClient {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const breaker = new CircuitBreaker(options.breaker, now);
  const { metrics } = options;
  const endpoint = createModelEndpoint({ baseURL: options.baseURL, apiKey: options.apiKey });

  function countTokens(usage: ChatCompletion["usage"] | null | undefined) {
    if (!usage) return;
    if (usage.prompt_tokens > 0) metrics.llmTokens.inc({ kind: "prompt" }, usage.prompt_tokens);
    if (usage.completion_tokens > 0) metrics.llmTokens.inc({ kind: "completion" }, usage.completion_tokens);
  }

  /** Only failures that say something about the endpoint move the breaker (not 4xx, not hang-ups). */
  function settle(classified: ClassifiedModelError) {
    if (classified.countsAsFailure) breaker.failure();
    else breaker.inconclusive();
  }

  /** Runs `attempt` with the breaker and retries; `attempt` gets a fresh controller each time. */
  async function withResilience<T>(
    context: CallContext,
    attempt: (control: ReturnType<typeof attemptController>) => Promise<T>,
    keepsOpen: boolean,
  ): Promise<T> {
    const admission = breaker.admit();
    if (!admission.admitted) {
      metrics.llmRequests.inc({ outcome: "circuit_open" });
      throw new RuntimeError(
        "MODEL_CIRCUIT_OPEN",
        "the model endpoint is failing; the circuit breaker is open",
        {
          retryAfterSeconds: Math.max(1, Math.ceil(admission.retryAfterMs / 1000)),
        },
      );
    }
    for (let attemptNumber = 0; ; attemptNumber++) {
      const control = attemptController(context.signal, options.timeoutMs);
      const started = performance.now();
      try {
        const result = await attempt(control);
        if (!keepsOpen) {
          control.dispose();
          metrics.llmRequests.inc({ outcome: "success" });
          metrics.llmDuration.observe({ outcome: "success" }, (performance.now() - started) / 1000);
          breaker.success();
        }
        return result;
      } catch (thrown) {
        control.dispose();
        const classified = classifyModelError(thrown, {
          aborted: context.signal.aborted,
          timedOut: control.timedOut,
          timeoutMs: options.timeoutMs,
          nowMs: now(),
        });
        metrics.llmRequests.inc({ outcome: classified.outcome });
        metrics.llmDuration.observe({ outcome: classified.outcome }, (performance.now() - started) / 1000);
        const delay =
          classified.retryable && attemptNumber < options.maxRetries
            ? computeRetryDelayMs(attemptNumber, classified.retryAfterMs, policy, random)
            : undefined;
        if (delay === undefined) {
          settle(classified);
          throw classified.error;
        }
        try {
          await sleep(delay, context.signal);
        } catch (sleepError) {
          breaker.inconclusive();
          throw sleepError;
        }
      }
    }
  }

  async function* relay(
    source: AsyncIterable<ChatCompletionChunk>,
    control: ReturnType<typeof attemptController>,
    context: CallContext,
    started: number,
  ): AsyncGenerator<ChatCompletionChunk> {
    let finished = false;
    try {
      for await (const chunk of source) {
        control.rearm();
        if (chunk.usage) countTokens(chunk.usage);
        yield chunk;
      }
      // An abort that lands between the last event and the end is not a finished answer either.
      if (control.signal.aborted) throw control.signal.reason;
      finished = true;
      metrics.llmRequests.inc({ outcome: "success" });
      metrics.llmDuration.observe({ outcome: "success" }, (performance.now() - started) / 1000);
      breaker.success();
    } catch (thrown) {
      const classified = classifyModelError(thrown, {
        aborted: context.signal.aborted,
        timedOut: control.timedOut,
        timeoutMs: options.timeoutMs,
        nowMs: now(),
      });
      finished = true;
      metrics.llmRequests.inc({ outcome: classified.outcome });
      metrics.llmDuration.observe({ outcome: classified.outcome }, (performance.now() - started) / 1000);
      settle(classified);
      throw classified.error;
    } finally {
      control.dispose();
      if (!finished) {
        // The consumer stopped early (the client went away): nothing was learnt about the endpoint.
        metrics.llmRequests.inc({ outcome: "aborted" });
        breaker.inconclusive();
      }
    }
  }

  return {
    async complete(body, context) {
      const completion = await timedUpstream(context, () =>
        withResilience(
          context,
          async (control) => {
            const result = await endpoint.postJson("/chat/completions", body, {
              headers: context.headers,
              signal: control.signal,
            });
            assertCompletionShape(result);
            return result;
          },
          false,
        ),
      );
      countTokens(completion.usage);
      return completion;
    },

    async stream(body, context) {
      let opened: { control: ReturnType<typeof attemptController>; started: number } | undefined;
      const source = await timedUpstream(context, () =>
        withResilience(
          context,
          async (control) => {
            const started = performance.now();
            const events = await endpoint.postEventStream("/chat/completions", body, {
              headers: context.headers,
              signal: control.signal,
            });
            opened = { control, started };
            return events;
          },
          true,
        ),
      );
      if (!opened) throw new RuntimeError("INTERNAL", "stream opened without a controller");
      const { control, started } = opened;
      return {
        [Symbol.asyncIterator]: () => {
          const iterator = relay(chunksOf(source), control, context, started);
          return {
            // Waiting for the next chunk is upstream time; what we do with it is not.
            next: () => timedUpstream(context, () => iterator.next()),
            return: async (value?: unknown) => {
              // Stopping early must close the upstream HTTP request, not just our generator.
              await source.return(undefined);
              return iterator.return(value as never);
            },
          };
        },
      };
    },

    async probe(timeoutMs) {
      try {
        const status = await endpoint.status("/models", timeoutMs);
        if (status === 401 || status === 403) {
          return { ok: false, detail: `model endpoint rejected the API key (HTTP ${status})` };
        }
        if (status >= 500) return { ok: false, detail: `model endpoint answered HTTP ${status}` };
        return { ok: true, detail: `HTTP ${status}` };
      } catch (error) {
        const reason = ((error as Error).cause as Error | undefined) ?? (error as Error);
        return { ok: false, detail: `model endpoint unreachable: ${reason.message}` };
      }
    },

    breaker: () => breaker.snapshot(),
  };
}
