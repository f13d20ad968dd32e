import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import {
  accumulateChunk,
  assistantMessageFromCompletion,
  EMPTY_ASSISTANT_MESSAGE,
  MAX_TOOL_CALLS_PER_ANSWER,
  withoutSkippedToolCalls,
} from "../../../agent-runtime/agent/assistant-message.ts";

function chunk(
  delta: ChatCompletionChunk.Choice.Delta,
  finish: ChatCompletionChunk.Choice["finish_reason"] = null,
) {
  return {
    id: "c",
    object: "chat.completion.chunk",
    created: 0,
    model: "m",
    choices: [{ index: 0, delta, finish_reason: finish }],
  } as ChatCompletionChunk;
}

describe("accumulateChunk", () => {
  it("concatenates content deltas", () => {
    const message = [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Hel" }),
      chunk({ content: "lo" }),
    ].reduce(accumulateChunk, EMPTY_ASSISTANT_MESSAGE);
    expect(message.content).toBe("Hello");
  });

  it("joins tool-call fragments by index, across interleaved calls", () => {
    const chunks = [
      chunk({
        tool_calls: [{ index: 0, id: "a", type: "function", function: { name: "search", arguments: "" } }],
      }),
      chunk({
        tool_calls: [{ index: 1, id: "b", type: "function", function: { name: "clock", arguments: "{}" } }],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }),
      chunk({}, "tool_calls"),
    ];
    const message = chunks.reduce(accumulateChunk, EMPTY_ASSISTANT_MESSAGE);
    expect(message.toolCalls).toEqual([
      { id: "a", name: "search", arguments: '{"q":"x"}' },
      { id: "b", name: "clock", arguments: "{}" },
    ]);
    expect(message.finishReason).toBe("tool_calls");
  });

  it.each([MAX_TOOL_CALLS_PER_ANSWER, 20_000_000, -1, 1.5])(
    "refuses a tool-call index of %s as a bad response, allocating nothing",
    (index) => {
      const fragment = { index, id: "x", function: { name: "lookup", arguments: "{}" } };
      expect(() => accumulateChunk(EMPTY_ASSISTANT_MESSAGE, chunk({ tool_calls: [fragment] }))).toThrow(
        expect.objectContaining({ code: "MODEL_BAD_RESPONSE" }),
      );
    },
  );

  it("keeps the calls of a stream that skips indexes, in order, without gaps", () => {
    let message = accumulateChunk(
      EMPTY_ASSISTANT_MESSAGE,
      chunk({ tool_calls: [{ index: 2, id: "b", function: { name: "two" } }] }),
    );
    message = accumulateChunk(
      message,
      chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "zero" } }] }),
    );
    expect(withoutSkippedToolCalls(message).toolCalls.map((call) => call.name)).toEqual(["zero", "two"]);
  });

  it("takes usage from the final usage-only chunk", () => {
    const usageChunk = {
      ...chunk({}),
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    } as ChatCompletionChunk;
    expect(accumulateChunk(EMPTY_ASSISTANT_MESSAGE, usageChunk).usage).toEqual({
      promptTokens: 7,
      completionTokens: 3,
    });
  });
});

describe("assistantMessageFromCompletion", () => {
  it("reads content, tool calls and usage", () => {
    const message = assistantMessageFromCompletion({
      id: "x",
      object: "chat.completion",
      created: 0,
      model: "m",
      choices: [
        {
          index: 0,
          finish_reason: "tool_calls",
          logprobs: null,
          message: {
            role: "assistant",
            content: null,
            refusal: null,
            tool_calls: [{ id: "t", type: "function", function: { name: "search", arguments: "{}" } }],
          },
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
    expect(message).toEqual({
      content: "",
      toolCalls: [{ id: "t", name: "search", arguments: "{}" }],
      finishReason: "tool_calls",
      usage: { promptTokens: 1, completionTokens: 2 },
    });
  });
});
