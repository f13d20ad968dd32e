import { describe, expect, it } from "vitest";
import { toOpenAiTools } from "../../../agent-runtime/agent/openai-tools.ts";

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
