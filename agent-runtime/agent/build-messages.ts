import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import type { ToolDefinition } from "../config.ts";
import type { StoredMessage } from "../memory/session-store.ts";

/** The prompt of a turn: system prompt, then the session's history, then the new message. */
export function buildMessages(
  systemPrompt: string | undefined,
  history: readonly StoredMessage[],
  message: string,
): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [];
  if (systemPrompt) messages.push({ role: "system", content: systemPrompt });
  for (const entry of history) messages.push({ role: entry.role, content: entry.content });
  messages.push({ role: "user", content: message });
  return messages;
}

export function toOpenAiTools(definitions: readonly ToolDefinition[]): ChatCompletionTool[] {
  return definitions.map((tool) => ({
    type: "function",
    function: {
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: tool.parameters,
    },
  }));
}
