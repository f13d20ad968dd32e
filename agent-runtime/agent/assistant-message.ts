/**
 * The assistant's side of one model call, whether it came as one JSON body or as a stream of
 * chunks. `accumulateChunk` folds streamed deltas into it: content is concatenated and tool-call
 * fragments are joined by their `index`, as OpenAI streams them.
 */
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";

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
  const toolCalls = (choice?.message.tool_calls ?? []).flatMap((call) =>
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
