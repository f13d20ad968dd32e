import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../../agent-runtime/tools/redact-secrets.ts";
import { toolErrorText } from "../../../agent-runtime/tools/tool-executor.ts";

describe("redactSecrets", () => {
  it.each([
    ["Authorization: Bearer abcdefghijklmnop", "abcdefghijklmnop"],
    ["key sk-proj-0123456789abcdef", "0123456789abcdef"],
    ["password=hunter2&user=ada", "hunter2"],
    ['{"api_key": "k-123456"}', "k-123456"],
    ["redis://default:s3cret@redis:6379", "s3cret"],
    ["token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl", "eyJzdWIiOiJhZGEifQ"],
  ])("removes the secret from %s", (text, secret) => {
    const redacted = redactSecrets(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain("redacted");
  });

  it("leaves ordinary text alone", () => {
    expect(redactSecrets("the order 42 was not found")).toBe("the order 42 was not found");
  });
});

describe("toolErrorText", () => {
  it("gives the status and a bounded, single-line excerpt", () => {
    expect(toolErrorText(500, "boom\n  at x", 200)).toBe("error: the tool answered HTTP 500: boom at x");
    expect(toolErrorText(502, "y".repeat(50), 10)).toBe(
      `error: the tool answered HTTP 502: ${"y".repeat(10)}…`,
    );
    expect(toolErrorText(503, "details", 0)).toBe("error: the tool answered HTTP 503");
    expect(toolErrorText(503, "  ", 200)).toBe("error: the tool answered HTTP 503");
  });
});
