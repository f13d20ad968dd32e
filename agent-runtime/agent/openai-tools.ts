import type { ChatCompletionTool } from "openai/resources/chat/completions";
import type { ToolDefinition } from "../config/env-schema.ts";

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
