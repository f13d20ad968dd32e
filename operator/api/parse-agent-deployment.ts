import type { z } from "zod";
import { type AgentDeployment, agentDeployment } from "./agent-deployment.ts";
import { CROSS_FIELD_RULE } from "./cross-field-rule.ts";

export type IssuePath = ReadonlyArray<string | number>;

export interface SchemaIssue {
  /** Where in the manifest, e.g. ["spec", "strategy", "canary", "steps", 1]. */
  path: IssuePath;
  message: string;
}

export type ParseResult = { ok: true; value: AgentDeployment } | { ok: false; issues: SchemaIssue[] };

/**
 * Validates a manifest (already parsed from YAML/JSON) and applies every default. The operator,
 * the CLI and the tests all go through here, so they report the same messages.
 */
export function parseAgentDeployment(manifest: unknown): ParseResult {
  const result = agentDeployment.safeParse(manifest);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: asTheApiServerReports(result.error.issues).flatMap(toSchemaIssues) };
}

export const RULES_NOT_CHECKED =
  "some cross-field rules were not checked because the manifest is invalid; correct the errors above to complete validation";

/**
 * The same problems the API server reports for the same manifest, so `agentry validate` and
 * `kubectl apply` agree:
 * - an unknown field fails decoding (kubectl's default --validate=strict): nothing else is checked;
 * - a missing field, a wrong type, a value outside an enum, a string or list over its maximum
 *   length blocks the CEL rules, which the API server then skips with one "rules were not
 *   checked" error;
 * - any other field error (a number out of range, a pattern) leaves the rules running, so a
 *   manifest with a bad temperature and min > max gets both errors at once.
 */
function asTheApiServerReports(issues: z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const unknown = issues.filter((issue) => issue.code === "unrecognized_keys");
  if (unknown.length > 0) return unknown;
  if (!issues.some(isBlocking)) return issues;
  const checked = issues.filter((issue) => !isCrossFieldRule(issue));
  return [...checked, { code: "custom", path: [], message: RULES_NOT_CHECKED, input: undefined }];
}

/** The API server's `hasBlockingErr`: Required, NotSupported, TypeInvalid, TooLong, TooMany. */
function isBlocking(issue: z.core.$ZodIssue): boolean {
  if (issue.code === "invalid_type" || issue.code === "invalid_value") return true;
  // maxLength and maxItems; a number above its maximum is a plain Invalid and blocks nothing.
  if (issue.code === "too_big" && (issue.origin === "string" || issue.origin === "array")) return true;
  // int-or-string fields: blocking only when no branch accepted the type.
  return issue.code === "invalid_union" && issue.errors.every((branch) => branch[0]?.code === "invalid_type");
}

function isCrossFieldRule(issue: z.core.$ZodIssue): boolean {
  return issue.code === "custom" && issue.params?.[CROSS_FIELD_RULE] === true;
}

/** "spec.strategy.canary.steps[1].setWeight" */
export function formatIssuePath(path: IssuePath): string {
  let text = "";
  for (const segment of path) {
    text += typeof segment === "number" ? `[${segment}]` : text === "" ? segment : `.${segment}`;
  }
  return text || "<document>";
}

function toSchemaIssues(issue: z.core.$ZodIssue): SchemaIssue[] {
  const path = issue.path.filter((segment) => typeof segment !== "symbol") as Array<string | number>;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field "${key}"` }));
    case "invalid_type":
      if (issue.message.endsWith("received undefined"))
        return [{ path, message: "required field is missing" }];
      return [
        {
          path,
          message: `expected ${issue.expected}, ${issue.message.replace(/^.*, (received .*)$/, "$1")}`,
        },
      ];
    case "invalid_union":
      return [{ path, message: unionMessage(issue) }];
    default:
      return [{ path, message: issue.message }];
  }
}

/**
 * int-or-string fields fail as a union; the branch whose type matched says what was wrong
 * ("must be a duration such as ..."), so report that instead of zod's bare "Invalid input".
 */
function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && first.code !== "invalid_type") return first.message;
  }
  return issue.message;
}
