/**
 * One attempt of a pass-through request: the client's body POSTed to the provider over the
 * model transport, the answer kept as the provider's bytes. Non-2xx answers become
 * `ModelHttpError` (with the body), so retries and the breaker treat them like SDK calls.
 */
import { APIConnectionError } from "openai";
import type { ChatCompletion } from "openai/resources/chat/completions";
import type { ModelFetch } from "./dispatcher-fetch.ts";
import { ModelBadResponseError, ModelHttpError } from "./model-errors.ts";
import { type EventSourceMessage, serverSentEvents } from "./server-sent-events.ts";

export type PassthroughCall = {
  fetch: ModelFetch;
  url: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
};

/** A non-stream answer: the provider's JSON text, and its usage for the token metrics. */
export type ForwardedAnswer = { text: string; usage: ChatCompletion["usage"] | undefined };

async function post(call: PassthroughCall, accept: string): Promise<Response> {
  let response: Response;
  try {
    response = await call.fetch(call.url, {
      method: "POST",
      headers: { ...call.headers, "content-type": "application/json", accept },
      body: call.body,
      signal: call.signal,
    });
  } catch (error) {
    if (call.signal.aborted) throw error;
    throw new APIConnectionError({ cause: error as Error });
  }
  if (response.status >= 200 && response.status < 300) return response;
  throw new ModelHttpError(response.status, response.headers, await response.text());
}

export async function forwardJson(call: PassthroughCall): Promise<ForwardedAnswer> {
  const response = await post(call, "application/json");
  const text = await response.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelBadResponseError("the model endpoint answered with a body that is not JSON", {
      cause: error,
    });
  }
  const answer = value as Partial<ChatCompletion> | null;
  if (!Array.isArray(answer?.choices)) {
    throw new ModelBadResponseError("the model endpoint answered without choices");
  }
  return { text, usage: answer.usage };
}

/** Resolves once a 2xx event stream has started; iterate it for the events, `[DONE]` included. */
export async function forwardEventStream(
  call: PassthroughCall,
): Promise<AsyncGenerator<EventSourceMessage, void, undefined>> {
  const response = await post(call, "text/event-stream");
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("text/event-stream") || !response.body) {
    await response.body?.cancel();
    throw new ModelBadResponseError(
      `the model endpoint answered a stream request with ${type || "no content type"}`,
    );
  }
  return serverSentEvents(response.body);
}
