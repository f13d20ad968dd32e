import { describe, expect, it } from "vitest";
import { agentDeployment } from "../../../operator/api/agent-deployment.ts";
import { buildCrd } from "../../../operator/api/crd.ts";
import { formatIssuePath, parseAgentDeployment } from "../../../operator/api/parse-agent-deployment.ts";
import type { JsonSchema } from "../../../operator/api/structural-schema.ts";
import { BAD_MANIFESTS, GOOD_MANIFESTS } from "../../support/bad-manifests.ts";
import { type SchemaCheck, schemaChecks } from "../../support/schema-checks.ts";

const root = buildCrd().spec.versions[0]?.schema.openAPIV3Schema as JsonSchema;
// The status is the operator's to write; users meet metadata and spec.
const checks = schemaChecks(agentDeployment).filter((check) => !check.path.startsWith("status"));

/** The CRD node at a path of `schemaChecks` ("spec.env[].name", "spec.resources.requests{}"). */
function crdNodeAt(path: string): JsonSchema | undefined {
  let node: JsonSchema | undefined = root;
  for (const [, name, step] of path.matchAll(/([^.[\]{}]+)|(\[\]|\{\}|\{key\})/g)) {
    if (node === undefined) return undefined;
    if (step === "[]") node = node.items as JsonSchema | undefined;
    else if (step === "{}") node = node.additionalProperties as JsonSchema | undefined;
    else if (step === "{key}")
      return undefined; // a CRD cannot type the keys of a map
    else node = (node.properties as Record<string, JsonSchema> | undefined)?.[name as string];
  }
  return node;
}

const celOf = (node: JsonSchema | undefined) =>
  (node?.["x-kubernetes-validations"] as Array<{ rule: string; message: string }> | undefined) ?? [];

const BOUND_KEYWORDS: Record<string, string[]> = {
  max_length: ["maxLength", "maxItems"],
  min_length: ["minLength", "minItems"],
  less_than: ["maximum"],
  greater_than: ["minimum"],
};

/** Why the API server would accept what the check refuses; undefined when it refuses it too. */
function missingTwin(check: SchemaCheck): string | undefined {
  const node = crdNodeAt(check.path);
  if (node === undefined) return "no CRD node to carry it";
  switch (check.kind) {
    case "rule": {
      const { rule } = check;
      if (rule.cel === undefined) {
        // Enforced by the CRD's structure instead: uniqueness by a list-map key.
        const list = crdNodeAt(`${check.path}.${rule.field}`);
        return list?.["x-kubernetes-list-type"] === "map" ? undefined : `"${rule.message}" has no CEL rule`;
      }
      return celOf(node).some((cel) => cel.rule === rule.cel && cel.message === rule.message)
        ? undefined
        : `"${rule.message}" is not among the node's CEL rules`;
    }
    case "pattern":
      return node.pattern === check.pattern || celOf(node).some((cel) => cel.message === check.message)
        ? undefined
        : `pattern ${check.pattern} is neither the node's pattern nor a CEL rule`;
    case "bound":
      return (BOUND_KEYWORDS[check.check] ?? []).some((keyword) => node[keyword] === check.value) ||
        celOf(node).some((cel) => cel.message === check.message) ||
        (node.type === undefined && node.anyOf !== undefined) // int-or-string: the int branch's minimum
        ? undefined
        : `${check.check} ${check.value} has no keyword in the CRD`;
    case "unknown":
      return `${check.check}: zod-only, the API server does not check it`;
  }
}

/** Matches a manifest path ("spec.env[0].name") against a check's ("spec.env[].name"). */
function pathMatcher(path: string): RegExp {
  const escaped = path.replace(/[.*+?^$()|\\]/g, "\\$&");
  return new RegExp(
    `^${escaped.replace(/\\\.|\[\]|\{\}/g, (m) => (m === "[]" ? "\\[\\d+\\]" : m === "{}" ? "\\.[^.]+" : "\\."))}$`,
  );
}

function errorsOf(manifest: unknown) {
  const result = parseAgentDeployment(manifest);
  return result.ok
    ? []
    : result.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
}

describe("every rule of the schema is enforced at apply time too", () => {
  it("finds the schema's rules and patterns (so the walk below walks something)", () => {
    const kinds = new Set(checks.map((check) => check.kind));
    expect([...kinds].sort()).toEqual(["bound", "pattern", "rule"]);
    expect(checks.filter((check) => check.kind === "rule").length).toBeGreaterThan(40);
  });

  it("has a CRD twin for every zod check: a CEL rule, a pattern, a bound or a list-map key", () => {
    const missing = checks.flatMap((check) => {
      const why = missingTwin(check);
      return why === undefined ? [] : [`${check.path}: ${why}`];
    });
    expect(missing).toEqual([]);
  });

  it("has a bad manifest for every rule and pattern, on the field the rule names", () => {
    const uncovered = new Map<object, string>();
    for (const check of checks) {
      if (check.kind !== "rule" && check.kind !== "pattern") continue;
      const field =
        check.kind === "rule" && check.rule.field ? `${check.path}.${check.rule.field}` : check.path;
      const message = check.kind === "rule" ? check.rule.message : (check.message ?? "");
      const matcher = pathMatcher(field);
      const covered = BAD_MANIFESTS.some((row) => matcher.test(row.field) && message.startsWith(row.message));
      if (covered) uncovered.set(check.id, "");
      else if (!uncovered.has(check.id)) uncovered.set(check.id, `${field}: ${message}`);
    }
    expect([...uncovered.values()].filter(Boolean)).toEqual([]);
  });

  it.each(
    BAD_MANIFESTS.map((row) => [row.field, JSON.stringify(row.manifest.spec).slice(0, 120), row] as const),
  )("agentry validate rejects %s in %s", (_field, _spec, row) => {
    const errors = errorsOf(row.manifest);
    expect(errors, JSON.stringify(errors)).toContainEqual({
      path: row.field,
      message: expect.stringContaining(row.message),
    });
  });

  it.each(GOOD_MANIFESTS.map((manifest) => [JSON.stringify(manifest.spec).slice(0, 100), manifest] as const))(
    "agentry validate accepts %s",
    (_spec, manifest) => {
      expect(errorsOf(manifest)).toEqual([]);
    },
  );
});
