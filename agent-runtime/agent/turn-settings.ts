import type { ChatCompletionTool } from "openai/resources/chat/completions";

/** What the agent's configuration fixes for every turn: the model call's settings and tools. */
export type TurnSettings = {
  model: string;
  temperature: number | undefined;
  maxTokens: number | undefined;
  tools: ChatCompletionTool[];
  maxToolRounds: number;
  maxToolCallsPerRound: number;
  maxToolCallsPerTurn: number;
  toolConcurrency: number;
};
