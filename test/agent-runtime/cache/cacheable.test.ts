import { describe, expect, it } from "vitest";
import { isCacheableChat, isCacheableCompletion } from "../../../agent-runtime/cache/cacheable.ts";

describe("isCacheableChat", () => {
  const deterministic = { temperature: 0, toolCount: 0, sessionId: undefined, stream: false };
  it("caches only temperature 0, no tools, no session, no stream", () => {
    expect(isCacheableChat(deterministic)).toBe(true);
    expect(isCacheableChat({ ...deterministic, temperature: undefined })).toBe(false);
    expect(isCacheableChat({ ...deterministic, temperature: 0.1 })).toBe(false);
    expect(isCacheableChat({ ...deterministic, toolCount: 1 })).toBe(false);
    expect(isCacheableChat({ ...deterministic, sessionId: "s" })).toBe(false);
    expect(isCacheableChat({ ...deterministic, stream: true })).toBe(false);
  });
});

describe("isCacheableCompletion", () => {
  const base = { messages: [{ role: "user", content: "x" }], temperature: 0 };
  it.each([
    [base, true],
    [{ ...base, temperature: undefined }, false],
    [{ ...base, tools: [{ type: "function" }] }, false],
    [{ ...base, tools: [] }, true],
    [{ ...base, functions: [] }, false],
    [{ ...base, stream: true }, false],
    [{ ...base, n: 2 }, false],
  ])("%j -> %s", (body, expected) => {
    expect(isCacheableCompletion(body)).toBe(expected);
  });
});
