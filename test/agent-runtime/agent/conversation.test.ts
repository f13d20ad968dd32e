import { describe, expect, it } from "vitest";
import { chatRequestJson, messagesOf, startConversation } from "../../../agent-runtime/agent/conversation.ts";
import type { TurnSettings } from "../../../agent-runtime/agent/turn-settings.ts";
import { storedJson } from "../../../agent-runtime/memory/session-store.ts";

const history = [
  storedJson({ role: "user", content: 'say "hi"\n' }),
  storedJson({ role: "assistant", content: "hi ✓" }),
].join(",");

const settings: TurnSettings = {
  model: "m",
  temperature: undefined,
  maxTokens: undefined,
  tools: [],
  maxToolRounds: 2,
  maxToolCallsPerRound: 16,
  maxToolCallsPerTurn: 64,
  toolConcurrency: 4,
};

describe("startConversation", () => {
  it("puts the system prompt first, then history, then the new message", () => {
    expect(messagesOf(startConversation("Be brief.", history, "how are you?"))).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: 'say "hi"\n' },
      { role: "assistant", content: "hi ✓" },
      { role: "user", content: "how are you?" },
    ]);
  });

  it("omits an empty system prompt", () => {
    expect(messagesOf(startConversation(undefined, "", "x"))).toEqual([{ role: "user", content: "x" }]);
  });
});

describe("chatRequestJson", () => {
  it("is valid JSON equal to the request built from objects, with the history spliced in", () => {
    const conversation = startConversation("sys", history, "next");
    const body = chatRequestJson(settings, conversation, { toolsAllowed: false, stream: false });
    expect(JSON.parse(body)).toEqual({ model: "m", messages: messagesOf(conversation) });
    expect(body).toContain(history);
  });

  it("adds sampling settings, tools with the tool choice, and streaming with usage", () => {
    const tools = [{ type: "function" as const, function: { name: "t", parameters: { type: "object" } } }];
    const full = { ...settings, temperature: 0, maxTokens: 64, tools };
    const conversation = startConversation(undefined, "", "q");
    expect(JSON.parse(chatRequestJson(full, conversation, { toolsAllowed: true, stream: true }))).toEqual({
      model: "m",
      messages: [{ role: "user", content: "q" }],
      temperature: 0,
      max_tokens: 64,
      tools,
      tool_choice: "auto",
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(
      JSON.parse(chatRequestJson(full, conversation, { toolsAllowed: false, stream: false })),
    ).toMatchObject({ tool_choice: "none" });
  });
});
