/**
 * The `openai` SDK client, with the caller's abort signal joined to the SDK's own by a plain
 * listener.
 *
 * By default the SDK joins the signal a call passes in to its per-request controller with
 * `AbortSignal.any()` (or, where it cannot, a listener held through `WeakRef` and a
 * `FinalizationRegistry`). V8's young-generation collector keeps the targets of weak references
 * alive, so everything such a signal reaches (the SDK's controller, undici's request with its
 * body, the response) survives every scavenge until the next full collection, and a full
 * collection has more weak references to clear (measured in docs/benchmarks.md, "Tail latency").
 *
 * The SDK lets a subclass replace `fetchWithTimeout` (and then gives it a plain
 * `AbortController`); this one does what the SDK's does, with a plain listener. The caller's
 * signal belongs to one model call and is dropped with it, so the listener needs no weak
 * reference: it keeps the request cancellable while its body is read, and goes when the call does.
 *
 * The SDK's public options cannot do this: a signal given per request, as `signal` or inside
 * `fetchOptions`, goes through the same per-request controller and is joined with
 * `AbortSignal.any()`; only a key of our own in `fetchOptions`, forwarded because the SDK spreads
 * unknown init keys into fetch, would bypass it, which no API of the SDK promises. The subclass
 * hook is one the SDK checks for itself (it compares `fetchWithTimeout` with its prototype's).
 */
import OpenAI from "openai";
import type { ModelFetch } from "./dispatcher-fetch.ts";

type ClientOptions = ConstructorParameters<typeof OpenAI>[0] & { fetch: ModelFetch };

export class OpenAIClient extends OpenAI {
  readonly #fetch: ModelFetch;

  constructor(options: ClientOptions) {
    super(options);
    this.#fetch = options.fetch;
  }

  override async fetchWithTimeout(
    url: string | URL | Request,
    init: RequestInit | undefined,
    ms: number,
    controller: AbortController,
  ): Promise<Response> {
    const { signal, method, ...rest } = init ?? {};
    const abort = () => controller.abort();
    if (signal?.aborted) abort();
    else signal?.addEventListener("abort", abort, { once: true });
    const timeout = setTimeout(abort, ms);
    try {
      return await this.#fetch(url, {
        ...rest,
        // As the SDK sends it (custom methods upper-cased, see nodejs/undici#2294).
        method: method ? method.toUpperCase() : "GET",
        signal: controller.signal,
      });
    } catch (error) {
      signal?.removeEventListener("abort", abort);
      throw error;
    } finally {
      clearTimeout(timeout);
    }
  }
}
