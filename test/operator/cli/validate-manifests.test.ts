import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RULES_NOT_CHECKED } from "../../../operator/api/parse-agent-deployment.ts";
import { formatManifestError, validateManifests } from "../../../operator/cli/validate-manifests.ts";

const fixtures = join(import.meta.dirname, "..", "..", "fixtures", "invalid");
const invalidFixtures = readdirSync(fixtures).filter((file) => file.endsWith(".yaml"));

function expectation(text: string): string {
  const match = /^# expect: (.+)$/m.exec(text);
  if (!match?.[1]) throw new Error("fixture lacks an '# expect:' line");
  return match[1];
}

describe("validateManifests", () => {
  it("has at least 15 invalid fixtures", () => {
    expect(invalidFixtures.length).toBeGreaterThanOrEqual(15);
  });

  it.each(invalidFixtures)("rejects %s with a message naming the field", (file) => {
    const text = readFileSync(join(fixtures, file), "utf8");
    const report = validateManifests(text, file);
    expect(report.errors.map((error) => `${error.path}: ${error.message}`).join("\n")).toContain(
      expectation(text),
    );
  });

  it("points each error at the line of the offending field", () => {
    const text = [
      "apiVersion: agentry.dev/v1alpha1", // 1
      "kind: AgentDeployment", // 2
      "metadata: {name: bot}", // 3
      "spec:", // 4
      "  agent:", // 5
      "    model: m", // 6
      "  strategy:", // 7
      "    type: Canary", // 8
      "    canary:", // 9
      "      steps:", // 10
      "        - setWeight: 10", // 11
      "        - setWeight: 150", // 12
    ].join("\n");
    const [error] = validateManifests(text, "bot.yaml").errors;
    expect(error && formatManifestError(error)).toBe(
      "bot.yaml:12: spec.strategy.canary.steps[1].setWeight: Too big: expected number to be <=100",
    );
  });

  it("points a missing field at its parent", () => {
    const text =
      "apiVersion: agentry.dev/v1alpha1\nkind: AgentDeployment\nmetadata: {name: bot}\nspec:\n  agent:\n    temperature: 1\n";
    expect(validateManifests(text, "bot.yaml").errors).toEqual([
      { source: "bot.yaml", line: 5, path: "spec.agent.model", message: "required field is missing" },
      { source: "bot.yaml", line: 1, path: "<document>", message: RULES_NOT_CHECKED },
    ]);
  });

  it("checks every document of a multi-document file and lists the ones of other kinds", () => {
    const text = [
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: prompt}\n",
      "apiVersion: agentry.dev/v1alpha1\nkind: AgentDeployment\nmetadata: {name: good}\nspec: {agent: {model: m}}\n",
      "apiVersion: agentry.dev/v1alpha1\nkind: AgentDeployment\nmetadata: {name: bad}\nspec: {agent: {model: m}, replicas: x}\n",
    ].join("---\n");
    const report = validateManifests(text, "all.yaml");
    expect(report.summary).toEqual([
      "all.yaml document 1: v1 ConfigMap prompt is not an AgentDeployment; not checked",
      "all.yaml document 2: AgentDeployment good is valid",
      "all.yaml document 3: AgentDeployment bad has 2 error(s)",
    ]);
    expect(report.errors.map(formatManifestError)).toEqual([
      "all.yaml:13: spec.replicas: expected number, received string",
      `all.yaml:10: <document>: ${RULES_NOT_CHECKED}`,
    ]);
  });

  it("reports YAML syntax errors with their line instead of throwing", () => {
    const report = validateManifests("apiVersion: v1\nkind: [unclosed\n", "broken.yaml");
    expect(report.errors[0]).toMatchObject({
      source: "broken.yaml",
      line: expect.any(Number),
      path: "<yaml>",
    });
    expect(report.summary).toEqual(["broken.yaml document 1: invalid YAML"]);
  });

  it("rejects a document that is not a manifest", () => {
    expect(validateManifests("- a\n- b\n", "list.yaml").errors[0]?.message).toBe(
      "a manifest must be a mapping with apiVersion and kind",
    );
  });
});
