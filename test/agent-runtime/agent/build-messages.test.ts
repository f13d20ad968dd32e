import { describe, expect, it } from "vitest";
import { buildMessages, toOpenAiTools } from "../../../agent-runtime/agent/build-messages.ts";

describe("buildMessages", () => {
  it("puts the system prompt first, then history, then the new message", () => {
    expect(
      buildMessages(
        "Be brief.",
        [
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
        ],
        "how are you?",
      ),
    ).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "how are you?" },
    ]);
  });

  it("omits an empty system prompt", () => {
    expect(buildMessages(undefined, [], "x")).toEqual([{ role: "user", content: "x" }]);
  });
});

describe("toOpenAiTools", () => {
  it("maps tool definitions to OpenAI function tools", () => {
    expect(
      toOpenAiTools([
        {
          name: "search",
          description: "Search",
          url: "http://s/",
          kind: "http",
          parameters: { type: "object", properties: { q: { type: "string" } } },
        },
      ]),
    ).toEqual([
      {
        type: "function",
        function: {
          name: "search",
          description: "Search",
          parameters: { type: "object", properties: { q: { type: "string" } } },
        },
      },
    ]);
  });
});
