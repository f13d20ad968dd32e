import { describe, expect, it } from "vitest";
import { redactProviderText } from "../../../agent-runtime/llm/redact-provider-text.ts";

const KEY = "sk-proj-AbCdEfGh0123456789IjKlMnOpQrStUvWx";

describe("redactProviderText", () => {
  it("removes any run of 8 or more characters of the configured key, wherever it starts", () => {
    expect(redactProviderText(`key ****${KEY.slice(-8)} refused`, KEY)).toBe("key ****[redacted] refused");
    expect(redactProviderText(`x${KEY.slice(5, 25)}y`, KEY)).toBe("x[redacted]y");
    expect(redactProviderText(`seven ${KEY.slice(-7)}`, KEY)).toBe(`seven ${KEY.slice(-7)}`);
  });

  it("removes masked and whole sk- keys, bearer tokens and org ids without a configured key", () => {
    expect(
      redactProviderText("Incorrect API key provided: sk-proj-****wxyz for org-AbC123xyz.", undefined),
    ).toBe("Incorrect API key provided: sk-[redacted] for org-[redacted].");
    expect(redactProviderText("Authorization: Bearer abcdefgh12345678", undefined)).not.toContain("abcdefgh");
  });

  it("keeps JSON valid", () => {
    const body = JSON.stringify({ error: { message: `bad key ${KEY}`, code: "invalid_api_key" } });
    expect(JSON.parse(redactProviderText(body, KEY))).toEqual({
      error: { message: "bad key [redacted]", code: "invalid_api_key" },
    });
  });
});
