import { describe, expect, it } from "vitest";
import { buildCrd } from "../../../operator/api/crd.ts";
import type { JsonSchema } from "../../../operator/api/structural-schema.ts";

const crd = buildCrd();
const version = crd.spec.versions[0];
const root = version?.schema.openAPIV3Schema as JsonSchema;

/** Every schema node with its path, so each test can assert over the whole tree. */
function walk(schema: JsonSchema, path: string, visit: (node: JsonSchema, path: string) => void): void {
  visit(schema, path);
  for (const [name, child] of Object.entries((schema.properties as Record<string, JsonSchema>) ?? {})) {
    walk(child, `${path}.${name}`, visit);
  }
  if (schema.items) walk(schema.items as JsonSchema, `${path}[]`, visit);
  if (typeof schema.additionalProperties === "object")
    walk(schema.additionalProperties as JsonSchema, `${path}{}`, visit);
}

/** The schema node at a path of property names ("[]" steps into array items). */
function at(schema: JsonSchema, ...path: string[]): JsonSchema | undefined {
  let node: JsonSchema | undefined = schema;
  for (const segment of path) {
    if (node === undefined) return undefined;
    node =
      segment === "[]"
        ? (node.items as JsonSchema)
        : (node.properties as Record<string, JsonSchema>)?.[segment];
  }
  return node;
}

describe("AgentDeployment CRD", () => {
  it("names the field and reason of every CEL rule, so API server errors never say <nil>", () => {
    const unnamed: string[] = [];
    walk(root, "", (node, path) => {
      const rules = (node["x-kubernetes-validations"] as Array<Record<string, unknown>> | undefined) ?? [];
      for (const rule of rules) {
        const fieldPath = rule.fieldPath as string | undefined;
        // A rule on a scalar field (or a map, over its keys) names that field already; one on an
        // object must name a field that exists below it (the API server checks that too).
        const isMap = node.type === "object" && node.properties === undefined;
        const named =
          node.type !== "object" || isMap
            ? fieldPath === undefined
            : fieldPath !== undefined && at(node, ...fieldPath.slice(1).split(".")) !== undefined;
        if (!named || !rule.reason) unnamed.push(`${path || "<root>"}: ${String(rule.message)}`);
      }
    });
    expect(unnamed).toEqual([]);
  });

  it("describes every field, so kubectl explain reads like documentation", () => {
    const undocumented: string[] = [];
    walk(root, "", (node, path) => {
      for (const [name, child] of Object.entries((node.properties as Record<string, JsonSchema>) ?? {})) {
        if (name !== "metadata" && !child.description) undocumented.push(`${path}.${name}`);
      }
    });
    expect(undocumented).toEqual([]);
  });

  it("is structural: typed nodes, no oneOf/const/$ref/allOf/not, anyOf only for int-or-string", () => {
    const problems: string[] = [];
    walk(root, "", (node, path) => {
      for (const forbidden of [
        "oneOf",
        "const",
        "$ref",
        "allOf",
        "not",
        "$defs",
        "additionalProperties:false",
      ]) {
        if (forbidden in node) problems.push(`${path}: ${forbidden}`);
      }
      if (node.additionalProperties === false) problems.push(`${path}: additionalProperties false`);
      if (node.anyOf && node["x-kubernetes-int-or-string"] !== true) problems.push(`${path}: anyOf`);
      if (node.type === undefined && node["x-kubernetes-int-or-string"] !== true)
        problems.push(`${path}: no type`);
    });
    expect(problems).toEqual([]);
  });

  it("serves status and scale subresources wired to spec.replicas and status.selector", () => {
    expect(version?.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: ".spec.replicas",
        statusReplicasPath: ".status.hpaReplicas",
        labelSelectorPath: ".status.selector",
      },
    });
  });

  it("has the short name, category and printer columns users type and read", () => {
    expect(crd.spec.names.shortNames).toEqual(["agd"]);
    expect(crd.spec.names.categories).toEqual(["agentry"]);
    expect(version?.additionalPrinterColumns.map((column) => column.name)).toEqual(
      expect.arrayContaining(["Phase", "Ready", "Weight", "Stable", "Age"]),
    );
  });

  it("carries the cross-field rules as CEL next to the fields they guard", () => {
    const rules: string[] = [];
    walk(root, "", (node, path) => {
      for (const validation of (node["x-kubernetes-validations"] as Array<{ message: string }>) ?? []) {
        rules.push(`${path}: ${validation.message}`);
      }
    });
    expect(rules).toEqual(
      expect.arrayContaining([
        ".spec.strategy.canary.steps[]: a step sets exactly one of setWeight, pause or analysis",
        ".spec.strategy.canary: setWeight must not decrease from one step to the next",
        ".spec.autoscaling: minReplicas must not exceed maxReplicas",
        ".spec.agent.tools[]: a tool needs exactly one of url or agentRef",
        ".spec.strategy: blueGreen settings need type: BlueGreen",
      ]),
    );
  });

  it("writes int-or-string fields the way Kubernetes' own types do", () => {
    const pauseDuration = at(root, "spec", "strategy", "canary", "steps", "[]", "pause", "duration");
    expect(pauseDuration).toMatchObject({
      "x-kubernetes-int-or-string": true,
      anyOf: [{ type: "integer" }, { type: "string" }],
      pattern: expect.any(String),
    });
  });
});
