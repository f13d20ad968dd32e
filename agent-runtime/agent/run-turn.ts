/**
 * One agent turn: call the model; while it asks for tools (and rounds remain), run them over HTTP,
 * feed the results back and call it again. After the last allowed round the model is called with
 * `tool_choice: "none"` so the turn always ends in an answer; a model that asks for tools anyway
 * and says nothing has given no answer (MODEL_BAD_RESPONSE), never an empty success.
 * Tool calls are bounded per round and per turn (the calls past a bound are not run: the model
 * gets a tool result saying so, and the turn's result lists them as refused), and run at most
 * `toolConcurrency` at a time.
 * With `onEvent` the model is streamed and text deltas are reported as they arrive.
 */

import { RuntimeError } from "../errors.ts";
import { type CallContext, type ModelClient, timedUpstream } from "../llm/model-calls.ts";
import type { ToolCallResult, ToolExecutor } from "../tools/tool-executor.ts";
import {
  type AssistantMessage,
  accumulateChunk,
  assistantMessageFromCompletion,
  EMPTY_ASSISTANT_MESSAGE,
  withoutSkippedToolCalls,
} from "./assistant-message.ts";
import { type Conversation, chatRequestJson } from "./conversation.ts";
import { mapWithConcurrency } from "./map-with-concurrency.ts";
import type { TurnSettings } from "./turn-settings.ts";

export type TurnEvent = { type: "delta"; content: string } | { type: "tool"; name: string; ok: boolean };

export type TurnResult = {
  content: string;
  usage: { promptTokens: number; completionTokens: number };
  /** `refused`: the call was not run, a limit was reached. */
  toolCalls: { name: string; ok: boolean; refused?: ToolCallLimit }[];
};

export type ToolCallLimit = "round_limit" | "turn_limit";

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
  return withoutSkippedToolCalls(message);
}

function refusal(limit: ToolCallLimit, settings: TurnSettings): ToolCallResult {
  const bound =
    limit === "round_limit"
      ? `${settings.maxToolCallsPerRound} tool calls per answer`
      : `${settings.maxToolCallsPerTurn} tool calls per turn`;
  return { ok: false, content: `error: not run: the agent's limit of ${bound} was reached` };
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
  let executed = 0;
  for (let round = 0; ; round++) {
    const toolsAllowed =
      settings.tools.length > 0 && round < settings.maxToolRounds && executed < settings.maxToolCallsPerTurn;
    const body = chatRequestJson(settings, conversation, { toolsAllowed, stream: onEvent !== undefined });
    const reply = onEvent
      ? await streamedReply(deps, body, context, onEvent)
      : assistantMessageFromCompletion(await deps.model.complete(body, context));
    usage.promptTokens += reply.usage.promptTokens;
    usage.completionTokens += reply.usage.completionTokens;
    if (reply.toolCalls.length === 0) return { content: reply.content, usage, toolCalls };
    if (!toolsAllowed) {
      if (reply.content.trim() !== "") return { content: reply.content, usage, toolCalls };
      throw new RuntimeError(
        "MODEL_BAD_RESPONSE",
        'the model asked for tools when told to answer without them (tool_choice "none") and gave no answer',
      );
    }

    conversation.turn.push({
      role: "assistant",
      content: reply.content || null,
      tool_calls: reply.toolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments },
      })),
    });
    const runnable = Math.min(settings.maxToolCallsPerRound, settings.maxToolCallsPerTurn - executed);
    const limitOf = (index: number): ToolCallLimit | undefined =>
      index < runnable ? undefined : index < settings.maxToolCallsPerRound ? "turn_limit" : "round_limit";
    executed += Math.min(runnable, reply.toolCalls.length);
    // The tools run in parallel: their wall time, not their sum, is what the request waited.
    const results = await timedUpstream(context, () =>
      mapWithConcurrency(reply.toolCalls.slice(0, runnable), settings.toolConcurrency, (call) =>
        deps.tools.execute(call, context),
      ),
    );
    reply.toolCalls.forEach((call, index) => {
      const refused = limitOf(index);
      const result = refused
        ? refusal(refused, settings)
        : (results[index] ?? { ok: false, content: "error: no result" });
      // Every call gets a result, run or not: providers refuse a history with an unanswered call.
      conversation.turn.push({ role: "tool", tool_call_id: call.id, content: result.content });
      toolCalls.push({ name: call.name, ok: result.ok, ...(refused ? { refused } : {}) });
      onEvent?.({ type: "tool", name: call.name, ok: result.ok });
    });
  }
}
