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

  it("ignores a non-numeric n or max_tokens, which the provider then rejects", () => {
    const body = { messages, n: "64", max_tokens: "lots" };
    expect(applyPassthroughPolicy(body, { ...open, maxTokens: 10 })).toMatchObject({
      n: "64",
      max_tokens: "lots",
    });
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
