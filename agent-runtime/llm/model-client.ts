/**
 * The only code that talks to the model endpoint. Wraps the `openai` package with per-attempt
 * timeouts, our own retries (backoff + jitter, honouring Retry-After), a circuit breaker and the
 * `agentry_llm_*` metrics. The SDK's own retries are off so every attempt is counted and timed.
 */
import OpenAI from "openai";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import { RuntimeError } from "../errors.ts";
import type { RuntimeMetrics } from "../observability/metrics.ts";
import { type BreakerSnapshot, CircuitBreaker } from "./circuit-breaker.ts";
import { type ClassifiedModelError, classifyModelError } from "./classify-model-error.ts";
import { type CallSignalInit, createNodeHttpFetch } from "./node-http-fetch.ts";
import { computeRetryDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-delay.ts";

export type CallContext = {
  /** Aborted when the client disconnects; aborts the HTTP call to the model. */
  signal: AbortSignal;
  /** Propagated to the provider (x-request-id, traceparent). */
  headers: Record<string, string>;
};

export type ProbeResult = { ok: boolean; detail: string };

export type ModelClient = {
  complete(params: ChatCompletionCreateParamsNonStreaming, context: CallContext): Promise<ChatCompletion>;
  /** Resolves once the stream is open (retries happen before that); iterating yields the chunks. */
  stream(
    params: ChatCompletionCreateParamsStreaming,
    context: CallContext,
  ): Promise<AsyncIterable<ChatCompletionChunk>>;
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

/** Per-call SDK options: the abort goes to our transport, see `CallSignalInit`. */
function requestOptions(signal: AbortSignal, context: CallContext) {
  const fetchOptions: CallSignalInit = { callSignal: signal };
  return { headers: context.headers, fetchOptions: fetchOptions as Record<string, unknown> };
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
    throw new RuntimeError("MODEL_BAD_RESPONSE", "the model endpoint answered without choices");
  }
}

export function createModelClient(options: ModelClientOptions): ModelClient {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const breaker = new CircuitBreaker(options.breaker, now);
  const { metrics } = options;
  const openai = new OpenAI({
    baseURL: options.baseURL,
    // Local OpenAI-compatible servers often need no key, but the SDK insists on one.
    apiKey: options.apiKey ?? "unused",
    maxRetries: 0,
    timeout: options.timeoutMs,
    fetch: createNodeHttpFetch(),
  });

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
      // The SDK ends the iteration quietly when its request is aborted: that is not a finished answer.
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
    async complete(params, context) {
      const completion = await withResilience(
        context,
        async (control) => {
          const result = await openai.chat.completions.create(
            params,
            requestOptions(control.signal, context),
          );
          assertCompletionShape(result);
          return result;
        },
        false,
      );
      countTokens(completion.usage);
      return completion;
    },

    async stream(params, context) {
      let opened: { control: ReturnType<typeof attemptController>; started: number } | undefined;
      const source = await withResilience(
        context,
        async (control) => {
          const started = performance.now();
          const stream = await openai.chat.completions.create(
            params,
            requestOptions(control.signal, context),
          );
          opened = { control, started };
          return stream;
        },
        true,
      );
      if (!opened) throw new RuntimeError("INTERNAL", "stream opened without a controller");
      const { control, started } = opened;
      return {
        [Symbol.asyncIterator]: () => {
          const iterator = relay(source, control, context, started);
          return {
            next: () => iterator.next(),
            return: async (value?: unknown) => {
              // Stopping early must close the upstream HTTP request, not just our generator.
              source.controller?.abort();
              return iterator.return(value as never);
            },
          };
        },
      };
    },

    async probe(timeoutMs) {
      try {
        const response = await fetch(`${options.baseURL}/models`, {
          headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel();
        if (response.status === 401 || response.status === 403) {
          return { ok: false, detail: `model endpoint rejected the API key (HTTP ${response.status})` };
        }
        if (response.status >= 500)
          return { ok: false, detail: `model endpoint answered HTTP ${response.status}` };
        return { ok: true, detail: `HTTP ${response.status}` };
      } catch (error) {
        return { ok: false, detail: `model endpoint unreachable: ${(error as Error).message}` };
      }
    },

    breaker: () => breaker.snapshot(),
  };
}
