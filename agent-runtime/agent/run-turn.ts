/**
 * One agent turn: call the model; while it asks for tools (and rounds remain), run them over HTTP,
 * feed the results back and call it again. After the last allowed round the model is called with
 * `tool_choice: "none"` so the turn always ends in an answer.
 * With `onEvent` the model is streamed and text deltas are reported as they arrive.
 */
import { type CallContext, type ModelClient, timedUpstream } from "../llm/model-calls.ts";
import type { ToolExecutor } from "../tools/tool-executor.ts";
import {
  type AssistantMessage,
  accumulateChunk,
  assistantMessageFromCompletion,
  EMPTY_ASSISTANT_MESSAGE,
} from "./assistant-message.ts";
import { type Conversation, chatRequestJson } from "./conversation.ts";
import type { TurnSettings } from "./turn-settings.ts";

export type TurnEvent = { type: "delta"; content: string } | { type: "tool"; name: string; ok: boolean };

export type TurnResult = {
  content: string;
  usage: { promptTokens: number; completionTokens: number };
  toolCalls: { name: string; ok: boolean }[];
};

export type TurnDeps = { model: ModelClient; tools: ToolExecutor };

async function streamedReply(
  deps: TurnDeps,
  body: string,
  context: CallContext,
  onEvent: (event: TurnEvent) => void,
): Promise<AssistantMessage> {
  const stream = await deps.model.stream(body, context);
  let message = EMPTY_ASSISTANT_MESSAGE;
  for await (const chunk of stream) {
    message = accumulateChunk(message, chunk);
    const delta = chunk.choices[0]?.delta.content;
    if (delta) onEvent({ type: "delta", content: delta });
  }
  return message;
}

export async function runTurn(
  start: Conversation,
  settings: TurnSettings,
  deps: TurnDeps,
  context: CallContext,
  onEvent?: (event: TurnEvent) => void,
): Promise<TurnResult> {
  const conversation: Conversation = { ...start, turn: [...start.turn] };
  const usage = { promptTokens: 0, completionTokens: 0 };
  const toolCalls: TurnResult["toolCalls"] = [];
  for (let round = 0; ; round++) {
    const toolsAllowed = settings.tools.length > 0 && round < settings.maxToolRounds;
    const body = chatRequestJson(settings, conversation, { toolsAllowed, stream: onEvent !== undefined });
    const reply = onEvent
      ? await streamedReply(deps, body, context, onEvent)
      : assistantMessageFromCompletion(await deps.model.complete(body, context));
    usage.promptTokens += reply.usage.promptTokens;
    usage.completionTokens += reply.usage.completionTokens;
    if (reply.toolCalls.length === 0 || !toolsAllowed) return { content: reply.content, usage, toolCalls };

    conversation.turn.push({
      role: "assistant",
      content: reply.content || null,
      tool_calls: reply.toolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments },
      })),
    });
    // The tools run in parallel: their wall time, not their sum, is what the request waited.
    const results = await timedUpstream(context, () =>
      Promise.all(reply.toolCalls.map((call) => deps.tools.execute(call, context))),
    );
    reply.toolCalls.forEach((call, index) => {
      const result = results[index] ?? { ok: false, content: "error: no result" };
      conversation.turn.push({ role: "tool", tool_call_id: call.id, content: result.content });
      toolCalls.push({ name: call.name, ok: result.ok });
      onEvent?.({ type: "tool", name: call.name, ok: result.ok });
    });
  }
}
