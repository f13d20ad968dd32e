import { describe, expect, it } from "vitest";
import { isRouteAllowed, rolesFromClaims } from "../../../agent-runtime/auth/roles.ts";

describe("rolesFromClaims", () => {
  it.each([
    [{ roles: ["chat", "admin", 3] }, "roles", ["chat", "admin"]],
    [{ scope: "chat read" }, "scope", ["chat", "read"]],
    [{ realm_access: { roles: ["chat"] } }, "realm_access.roles", ["chat"]],
    [{}, "roles", []],
    [{ roles: { nested: true } }, "roles", []],
  ])("%j at %s -> %j", (payload, claim, expected) => {
    expect(rolesFromClaims(payload, claim)).toEqual(expected);
  });
});

describe("isRouteAllowed", () => {
  const rules = { "/v1/chat/completions": ["admin", "raw"] };
  it("needs one of the listed roles on a gated route", () => {
    expect(isRouteAllowed(rules, "/v1/chat/completions", ["raw"])).toBe(true);
    expect(isRouteAllowed(rules, "/v1/chat/completions", ["chat"])).toBe(false);
  });
  it("leaves routes without rules open to any authenticated caller", () => {
    expect(isRouteAllowed(rules, "/v1/chat", [])).toBe(true);
  });
});
