import { describe, expect, it } from "vitest";
import { QueryTemplateError } from "../../operator/analysis/builtin-queries.ts";
import { SuccessConditionError } from "../../operator/analysis/success-condition.ts";
import { UnsupportedSchemaError } from "../../operator/api/structural-schema.ts";
import { PluginError } from "../../operator/cli/plugin/plugin-error.ts";
import { OperatorConfigError } from "../../operator/config.ts";
import { KubeConfigError } from "../../operator/kube/kube-config.ts";
import { OidcAuthError } from "../../operator/kube/oidc-auth.ts";

// Logs and `agentry` print `name: message` and callers branch on `code`: every error class of the
// operator says which it is, as a stack trace and a JSON log line show it.
describe("the operator's error classes", () => {
  it.each([
    ["OperatorConfigError", new OperatorConfigError("x")],
    ["KubeConfigError", new KubeConfigError("x")],
    ["OidcAuthError", new OidcAuthError("x")],
    ["UnsupportedSchemaError", new UnsupportedSchemaError("spec", "x")],
    ["PluginError", new PluginError("x")],
    ["QueryTemplateError", new QueryTemplateError("x")],
    ["SuccessConditionError", new SuccessConditionError("x > 1", "x")],
  ])("%s has its name and a stable code", (name, error) => {
    expect(error.name).toBe(name);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
    expect(error.code).toMatch(/^[A-Z_]+$/);
  });
});
