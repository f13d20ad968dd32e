import { describe, expect, it } from "vitest";
import { createApiKeyVerifier } from "../../../agent-runtime/auth/api-key-verifier.ts";

describe("createApiKeyVerifier", () => {
  const verify = createApiKeyVerifier(["first-key-0123456789", "second-key-0123456789"]);

  it("accepts every configured key with a stable, non-secret principal id", () => {
    const first = verify("first-key-0123456789");
    const second = verify("second-key-0123456789");
    expect(first?.id).toMatch(/^key-[0-9a-f]{12}$/);
    expect(second?.id).not.toBe(first?.id);
    expect(verify("first-key-0123456789")?.id).toBe(first?.id);
    expect(first?.id).not.toContain("first-key");
  });

  it("rejects unknown keys, prefixes and empty strings", () => {
    expect(verify("first-key-012345678")).toBeUndefined();
    expect(verify("first-key-0123456789x")).toBeUndefined();
    expect(verify("")).toBeUndefined();
  });
});
