/**
 * The messages of one turn and the JSON request body sent to the model for them.
 *
 * The session's history stays the JSON text it was stored as (see `memory/session-store.ts`) and
 * is spliced into the request body as is: a turn with 50 messages of history parses and
 * re-serializes none of them.
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { parseHistory, type SessionHistory } from "../memory/session-store.ts";
import type { TurnSettings } from "./turn-settings.ts";

export type Conversation = {
  /** The system prompt, when there is one. */
  readonly leading: readonly ChatCompletionMessageParam[];
  readonly history: SessionHistory;
  /** The new user message, then the tool rounds of this turn. */
  readonly turn: ChatCompletionMessageParam[];
};

/** The prompt of a turn: system prompt, then the session's history, then the new message. */
export function startConversation(
  systemPrompt: string | undefined,
  history: SessionHistory,
  message: string,
): Conversation {
  return {
    leading: systemPrompt ? [{ role: "system", content: systemPrompt }] : [],
    history,
    turn: [{ role: "user", content: message }],
  };
}

/** Every message in order, as objects (for tests and logs; the model gets `chatRequestJson`). */
export function messagesOf(conversation: Conversation): ChatCompletionMessageParam[] {
  return [...conversation.leading, ...parseHistory(conversation.history), ...conversation.turn];
}

/** The chat completion request body for the conversation so far. */
export function chatRequestJson(
  settings: TurnSettings,
  conversation: Conversation,
  options: { toolsAllowed: boolean; stream: boolean },
): string {
  const parts: string[] = [];
  for (const message of conversation.leading) parts.push(JSON.stringify(message));
  if (conversation.history !== "") parts.push(conversation.history);
  for (const message of conversation.turn) parts.push(JSON.stringify(message));
  const rest = JSON.stringify({
    model: settings.model,
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.maxTokens !== undefined ? { max_tokens: settings.maxTokens } : {}),
    ...(settings.tools.length > 0
      ? { tools: settings.tools, tool_choice: options.toolsAllowed ? "auto" : "none" }
      : {}),
    ...(options.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
  // `rest` is an object with at least `model`: splice the messages in front of its fields.
  return `{"messages":[${parts.join(",")}],${rest.slice(1)}`;
}
