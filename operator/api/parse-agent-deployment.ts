import type { z } from "zod";
import { type AgentDeployment, agentDeployment } from "./agent-deployment.ts";

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
  return { ok: false, issues: result.error.issues.flatMap(toSchemaIssues) };
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
