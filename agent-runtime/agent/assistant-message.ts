/**
 * The assistant's side of one model call, whether it came as one JSON body or as a stream of
 * chunks. `accumulateChunk` folds streamed deltas into it: content is concatenated and tool-call
 * fragments are joined by their `index`, as OpenAI streams them.
 */
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";
import { RuntimeError } from "../errors.ts";

/**
 * More tool calls in one answer than any model asks for (the runtime runs at most
 * AGENTRY_MAX_TOOL_CALLS_PER_ROUND of them, 128 at most): an answer past it, or a streamed `index`
 * past it, is a broken or hostile endpoint. The index picks an array slot, so without this bound
 * `"index": 20000000` alone allocates gigabytes.
 */
export const MAX_TOOL_CALLS_PER_ANSWER = 256;

function tooManyToolCalls(what: string): RuntimeError {
  return new RuntimeError(
    "MODEL_BAD_RESPONSE",
    `the model endpoint sent ${what}; an answer holds at most ${MAX_TOOL_CALLS_PER_ANSWER} tool calls`,
  );
}

export type AssistantToolCall = { id: string; name: string; arguments: string };

export type AssistantMessage = {
  content: string;
  toolCalls: AssistantToolCall[];
  finishReason: string | null;
  usage: { promptTokens: number; completionTokens: number };
};

export const EMPTY_ASSISTANT_MESSAGE: AssistantMessage = {
  content: "",
  toolCalls: [],
  finishReason: null,
  usage: { promptTokens: 0, completionTokens: 0 },
};

export function assistantMessageFromCompletion(completion: ChatCompletion): AssistantMessage {
  const choice = completion.choices[0];
  const calls = choice?.message.tool_calls ?? [];
  if (calls.length > MAX_TOOL_CALLS_PER_ANSWER) throw tooManyToolCalls(`${calls.length} tool calls`);
  const toolCalls = calls.flatMap((call) =>
    call.type === "function"
      ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }]
      : [],
  );
  return {
    content: choice?.message.content ?? "",
    toolCalls,
    finishReason: choice?.finish_reason ?? null,
    usage: {
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
    },
  };
}

export function accumulateChunk(message: AssistantMessage, chunk: ChatCompletionChunk): AssistantMessage {
  const choice = chunk.choices[0];
  let { content, toolCalls, finishReason, usage } = message;
  if (choice?.delta.content) content += choice.delta.content;
  if (choice?.delta.tool_calls) {
    toolCalls = [...toolCalls];
    for (const fragment of choice.delta.tool_calls) {
      const index: unknown = fragment.index;
      if (
        !Number.isInteger(index) ||
        (index as number) < 0 ||
        (index as number) >= MAX_TOOL_CALLS_PER_ANSWER
      ) {
        throw tooManyToolCalls(`a tool call with index ${JSON.stringify(index)}`);
      }
      const existing = toolCalls[fragment.index];
      toolCalls[fragment.index] = {
        id: fragment.id ?? existing?.id ?? `call_${fragment.index}`,
        name: (existing?.name ?? "") + (fragment.function?.name ?? ""),
        arguments: (existing?.arguments ?? "") + (fragment.function?.arguments ?? ""),
      };
    }
  }
  if (choice?.finish_reason) finishReason = choice.finish_reason;
  if (chunk.usage) {
    usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
  }
  return { content, toolCalls, finishReason, usage };
}

/** The tool calls in index order, without the slots a stream skipped (indexes 0, 2: two calls). */
export function withoutSkippedToolCalls(message: AssistantMessage): AssistantMessage {
  return { ...message, toolCalls: message.toolCalls.filter((call) => call !== undefined) };
}
