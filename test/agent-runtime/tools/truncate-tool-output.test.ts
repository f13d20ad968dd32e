import { describe, expect, it } from "vitest";
import { MAX_TOOL_RESULT_CHARS, truncateToolOutput } from "../../../agent-runtime/tools/tool-executor.ts";

describe("truncateToolOutput", () => {
  it("leaves short output alone and marks cut output", () => {
    expect(truncateToolOutput("ok")).toBe("ok");
    const long = "x".repeat(MAX_TOOL_RESULT_CHARS + 10);
    const cut = truncateToolOutput(long);
    expect(cut.startsWith("x".repeat(MAX_TOOL_RESULT_CHARS))).toBe(true);
    expect(cut).toContain("[truncated 10 chars]");
  });
});
