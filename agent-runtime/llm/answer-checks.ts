/**
 * What the model endpoint answered, checked before anyone uses it: a completion has choices, every
 * streamed chunk has choices, a relayed stream's events are JSON chunks up to `[DONE]` and an
 * error event is an error.
 */
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";
import type { RelayedEvent } from "./model-calls.ts";
import { ModelBadResponseError, STREAM_ERROR_PREFIX } from "./model-errors.ts";
import type { EventSourceMessage } from "./server-sent-events.ts";

export type Usage = ChatCompletion["usage"] | null | undefined;

export function assertCompletionShape(value: unknown): asserts value is ChatCompletion {
  const choices = (value as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || choices.length === 0 || typeof choices[0]?.message !== "object") {
    throw new ModelBadResponseError("the model endpoint answered without choices");
  }
}

/** The SDK's chunks, checked: a chunk without choices is not a completion chunk. */
export async function* checkedChunks(source: AsyncIterable<unknown>): AsyncGenerator<ChatCompletionChunk> {
  for await (const chunk of source) {
    if (!Array.isArray((chunk as { choices?: unknown } | null)?.choices)) {
      throw new ModelBadResponseError("the model endpoint streamed a chunk without choices");
    }
    yield chunk as ChatCompletionChunk;
  }
}

/** A relayed stream's events up to `[DONE]`, each checked to be a completion chunk. */
export async function* relayedEvents(
  events: AsyncIterable<EventSourceMessage>,
): AsyncGenerator<RelayedEvent & { usage: Usage }> {
  for await (const event of events) {
    if (event.data === "[DONE]") return;
    let value: { choices?: unknown; usage?: Usage; error?: { message?: unknown } } | null;
    try {
      value = JSON.parse(event.data);
    } catch (error) {
      throw new ModelBadResponseError("the model endpoint streamed an event that is not JSON", {
        cause: error,
      });
    }
    if (event.event === "error" || (typeof value?.error === "object" && value.error !== null)) {
      const message = typeof value?.error?.message === "string" ? value.error.message : event.data;
      throw new ModelBadResponseError(`${STREAM_ERROR_PREFIX}: ${message.slice(0, 200)}`);
    }
    if (!Array.isArray(value?.choices)) {
      throw new ModelBadResponseError("the model endpoint streamed a chunk without choices");
    }
    yield { data: event.data, usageOnly: value.choices.length === 0 && !!value.usage, usage: value.usage };
  }
}
