import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../../agent-runtime/errors.ts";
import {
  applyPassthroughPolicy,
  type PassthroughPolicy,
} from "../../../agent-runtime/llm/apply-passthrough-policy.ts";

const open: PassthroughPolicy = {
  model: "agent-model",
  maxTokens: undefined,
  temperature: undefined,
  maxN: 1,
  allowTemperature: false,
  allowTools: true,
};
const messages = [{ role: "user", content: "hi" }];

describe("applyPassthroughPolicy", () => {
  it("leaves what the agent does not decide as the client sent it", () => {
    const body = { messages, model: "client-model", top_p: 0.3, temperature: 1.7, tools: [] };
    expect(applyPassthroughPolicy(body, open)).toEqual({ ...body, model: "agent-model" });
  });

  it("reads a null limit as not set: the agent's token ceiling applies and n is the provider's default", () => {
    const body = { messages, n: null, max_tokens: null, max_completion_tokens: null };
    const result = applyPassthroughPolicy(body, { ...open, maxTokens: 10 });
    expect(result).toMatchObject({ max_tokens: 10 });
    expect(result).not.toHaveProperty("n");
    expect(result).not.toHaveProperty("max_completion_tokens");
  });

  it("names every tool field it refuses", () => {
    let thrown: unknown;
    try {
      applyPassthroughPolicy(
        { messages, functions: [], function_call: "auto" },
        { ...open, allowTools: false },
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RuntimeError);
    expect((thrown as RuntimeError).fields?.map((field) => field.path)).toEqual([
      "functions",
      "function_call",
    ]);
  });
});
