import { describe, expect, it } from "vitest";
import { exceedsJsonDepth } from "../../../agent-runtime/http/json-nesting-depth.ts";

describe("exceedsJsonDepth", () => {
  it("counts objects and arrays, up to the limit inclusive", () => {
    expect(exceedsJsonDepth('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(exceedsJsonDepth('{"a":[{"b":[1]}]}', 3)).toBe(true);
  });

  it("measures depth, not the number of brackets", () => {
    expect(exceedsJsonDepth(`[${"[],".repeat(1000)}[]]`, 2)).toBe(false);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(exceedsJsonDepth(JSON.stringify({ text: "[[[[{{{{" }), 1)).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ text: 'say "[[[[" \\ ok' }), 1)).toBe(false);
    // The string ends in an escaped backslash, so the quote after it closes the string.
    expect(exceedsJsonDepth(String.raw`{"text":"\\","x":[[]]}`, 2)).toBe(true);
  });
});
