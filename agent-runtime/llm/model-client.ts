/**
 * The only code that talks to the model endpoint. Agent turns go through the `openai` SDK
 * (its own retries off); `/v1/chat/completions` is relayed as the provider's bytes over the same
 * transport. Both share per-attempt timeouts, retries (backoff + jitter, honouring Retry-After),
 * a circuit breaker and the `agentry_llm_*` metrics. Every attempt is counted and timed.
 */
import { RuntimeError } from "../errors.ts";
import type { RuntimeMetrics } from "../observability/metrics.ts";
import { assertCompletionShape, checkedChunks, relayedEvents, type Usage } from "./answer-checks.ts";
import { type AttemptControl, attemptController, sleepUnlessClosed } from "./attempt-control.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { type ClassifiedModelError, classifyModelError } from "./classify-model-error.ts";
import { type CallContext, type ModelConnection, timedUpstream } from "./model-calls.ts";
import { createModelTransport, type ProxySettings } from "./model-transport.ts";
import { OpenAIClient } from "./openai-client.ts";
import {
  type ForwardedAnswer,
  forwardEventStream,
  forwardJson,
  type PassthroughCall,
} from "./passthrough-request.ts";
import { endpointURL, type ProviderSettings, providerEndpointOf } from "./provider-endpoint.ts";
import { computeRetryDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-delay.ts";

export type ModelClientOptions = {
  provider: ProviderSettings;
  timeoutMs: number;
  maxRetries: number;
  breaker: { failureThreshold: number; cooldownMs: number };
  metrics: RuntimeMetrics;
  /** Connections kept open to the endpoint; default 64. */
  maxConnections?: number;
  /** Largest answer read (decoded); default 10 MiB. */
  maxResponseBytes?: number;
  proxy?: ProxySettings;
  retryPolicy?: RetryPolicy;
  random?: () => number;
  now?: () => number;
};

export const DEFAULT_MAX_CONNECTIONS = 64;
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const NO_PROXY: ProxySettings = { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined };

/** A call ended by its turn's deadline (the deadline signal's reason is the turn's error). */
function deadlinePassed(reason: unknown): ClassifiedModelError {
  const error =
    reason instanceof RuntimeError
      ? reason
      : new RuntimeError("TURN_DEADLINE_EXCEEDED", "the turn did not finish in time", { cause: reason });
  return { outcome: "timeout", retryable: false, countsAsFailure: false, retryAfterMs: undefined, error };
}

export function createModelClient(options: ModelClientOptions): ModelConnection {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const breaker = new CircuitBreaker(options.breaker, now);
  const { metrics } = options;
  const endpoint = providerEndpointOf(options.provider);
  const transport = createModelTransport({
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    timeoutMs: options.timeoutMs,
    proxy: options.proxy ?? NO_PROXY,
  });
  const sdk = new OpenAIClient({
    // Authentication comes from the provider's own headers (Bearer or Azure's api-key).
    apiKey: "unused",
    baseURL: endpoint.apiRoot,
    defaultQuery: endpoint.query,
    defaultHeaders: { authorization: null, ...endpoint.authHeaders },
    // Retries are this client's policy (backoff, Retry-After, breaker), never the SDK's.
    maxRetries: 0,
    timeout: options.timeoutMs,
    fetch: transport.fetch,
    // Failures reach the logs as typed errors, once, through the request's log line.
    logLevel: "off",
  });
  const completionsURL = endpointURL(endpoint, "/chat/completions");

  function countTokens(usage: Usage) {
    if (!usage) return;
    if (usage.prompt_tokens > 0) metrics.llmTokens.inc({ kind: "prompt" }, usage.prompt_tokens);
    if (usage.completion_tokens > 0) metrics.llmTokens.inc({ kind: "completion" }, usage.completion_tokens);
  }

  /** Only failures that say something about the endpoint move the breaker (not 4xx, not hang-ups). */
  function settle(classified: ClassifiedModelError) {
    if (classified.countsAsFailure) breaker.failure();
    else breaker.inconclusive();
  }

  function classify(thrown: unknown, context: CallContext, control: AttemptControl): ClassifiedModelError {
    // Not the endpoint's failure, whatever the aborted call threw: the turn ran out of time.
    if (control.deadlinePassed) return deadlinePassed(context.deadline?.reason);
    return classifyModelError(thrown, {
      aborted: context.signal.aborted,
      timedOut: control.timedOut,
      timeoutMs: options.timeoutMs,
      nowMs: now(),
      apiKey: options.provider.apiKey,
    });
  }

  function recordSuccess(started: number) {
    metrics.llmRequests.inc({ outcome: "success" });
    metrics.llmDuration.observe({ outcome: "success" }, (performance.now() - started) / 1000);
    breaker.success();
  }

  function recordFailure(classified: ClassifiedModelError, started: number) {
    metrics.llmRequests.inc({ outcome: classified.outcome });
    metrics.llmDuration.observe({ outcome: classified.outcome }, (performance.now() - started) / 1000);
  }

  /**
   * Runs `attempt` with the breaker and retries; `attempt` gets a fresh controller each time.
   * With `keepsOpen` the result is a stream whose end `relay` records.
   */
  async function withResilience<T>(
    context: CallContext,
    attempt: (control: AttemptControl) => Promise<T>,
    keepsOpen: boolean,
  ): Promise<{ result: T; control: AttemptControl; started: number }> {
    // A turn past its deadline (after a tool call, say) makes no further call.
    if (context.deadline?.aborted) throw deadlinePassed(context.deadline.reason).error;
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
      const control = attemptController(context.signal, options.timeoutMs, context.deadline);
      const started = performance.now();
      try {
        const result = await attempt(control);
        if (!keepsOpen) {
          control.dispose();
          recordSuccess(started);
        }
        return { result, control, started };
      } catch (thrown) {
        control.dispose();
        const classified = classify(thrown, context, control);
        recordFailure(classified, started);
        const delay =
          classified.retryable && attemptNumber < options.maxRetries
            ? computeRetryDelayMs(attemptNumber, classified.retryAfterMs, policy, random)
            : undefined;
        if (delay === undefined) {
          settle(classified);
          throw classified.error;
        }
        try {
          await sleepUnlessClosed(delay, context.signal, context.deadline);
        } catch (sleepError) {
          breaker.inconclusive();
          throw sleepError;
        }
      }
    }
  }

  /** Passes a stream's items on, re-arming the idle timeout, and records how the stream ended. */
  async function* relay<T>(
    source: AsyncIterable<T>,
    usageOf: (item: T) => Usage,
    opened: { control: AttemptControl; started: number },
    context: CallContext,
  ): AsyncGenerator<T> {
    const { control, started } = opened;
    let finished = false;
    try {
      for await (const item of source) {
        control.rearm();
        countTokens(usageOf(item));
        yield item;
      }
      // The SDK ends a stream quietly when its request is aborted: that is no finished answer.
      if (control.signal.aborted) throw control.signal.reason;
      finished = true;
      recordSuccess(started);
    } catch (thrown) {
      const classified = classify(thrown, context, control);
      finished = true;
      recordFailure(classified, started);
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

  /** A relayed stream whose waits count as upstream time and whose early stop closes the request. */
  function upstreamIterable<T>(context: CallContext, control: AttemptControl, items: AsyncGenerator<T>) {
    return {
      [Symbol.asyncIterator]: () => ({
        // Waiting for the next item is upstream time; what we do with it is not.
        next: () => timedUpstream(context, () => items.next()),
        return: async (value?: unknown) => {
          control.cancel();
          return items.return(value as never);
        },
      }),
    };
  }

  const passthrough = (body: string, context: CallContext, control: AttemptControl): PassthroughCall => ({
    fetch: transport.fetch,
    url: completionsURL,
    headers: { ...endpoint.authHeaders, ...context.headers },
    body,
    signal: control.signal,
  });

  const sdkRequest = (body: string, context: CallContext, control: AttemptControl) => ({
    // A string body with a content type goes out as is: the session history is never re-serialized.
    body,
    headers: { ...context.headers, "content-type": "application/json" },
    signal: control.signal,
  });

  return {
    async complete(body, context) {
      const { result } = await timedUpstream(context, () =>
        withResilience(
          context,
          async (control) => {
            const completion: unknown = await sdk.post(
              "/chat/completions",
              sdkRequest(body, context, control),
            );
            assertCompletionShape(completion);
            return completion;
          },
          false,
        ),
      );
      countTokens(result.usage);
      return result;
    },

    async stream(body, context) {
      const opened = await timedUpstream(context, () =>
        withResilience(
          context,
          (control) =>
            sdk.post<AsyncIterable<unknown>>("/chat/completions", {
              ...sdkRequest(body, context, control),
              stream: true,
            }),
          true,
        ),
      );
      const chunks = relay(checkedChunks(opened.result), (chunk) => chunk.usage, opened, context);
      return upstreamIterable(context, opened.control, chunks);
    },

    async forward(body, context) {
      const { result } = await timedUpstream(context, () =>
        withResilience<ForwardedAnswer>(
          context,
          (control) => forwardJson(passthrough(body, context, control)),
          false,
        ),
      );
      countTokens(result.usage);
      return result.text;
    },

    async forwardStream(body, context) {
      const opened = await timedUpstream(context, () =>
        withResilience(context, (control) => forwardEventStream(passthrough(body, context, control)), true),
      );
      const events = relay(relayedEvents(opened.result), (event) => event.usage, opened, context);
      return upstreamIterable(context, opened.control, events);
    },

    async probe(timeoutMs) {
      try {
        const response = await transport.probeFetch(endpoint.probeURL, {
          headers: endpoint.authHeaders,
          signal: AbortSignal.timeout(timeoutMs),
        });
        // Read to the end (the cap bounds it), so the connection stays reusable.
        await response.arrayBuffer();
        const { status } = response;
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
    close: () => transport.close(),
  };
}
