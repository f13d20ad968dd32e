import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseAgentDeployment } from "../operator/api/parse-agent-deployment.ts";
import { validateManifests } from "../operator/cli/validate-manifests.ts";
import { referencedData } from "../operator/reconcile/referenced-data.ts";

const root = join(import.meta.dirname, "..");
const examples = readdirSync(join(root, "examples")).filter((file) => file.endsWith(".yaml"));

describe("examples", () => {
  it("cover basic, canary, blue-green, autoscaling and tools", () => {
    expect(examples).toEqual(
      expect.arrayContaining([
        "basic.yaml",
        "canary.yaml",
        "blue-green.yaml",
        "autoscaling.yaml",
        "tools.yaml",
      ]),
    );
  });

  it.each(examples)("%s is valid and holds at least one AgentDeployment", (file) => {
    const report = validateManifests(readFileSync(join(root, "examples", file), "utf8"), file);
    expect(report.errors).toEqual([]);
    expect(report.summary.some((line) => line.includes("is valid"))).toBe(true);
  });

  it("tools.yaml: the agentRef points at an agent defined next to it", () => {
    const documents = parseAllDocuments(readFileSync(join(root, "examples", "tools.yaml"), "utf8"));
    const agents = (Array.isArray(documents) ? documents : []).map((document) => document.toJS());
    const names = new Set(agents.map((agent) => agent.metadata.name));
    const refs = agents.flatMap((agent) =>
      (agent.spec.agent.tools ?? []).flatMap(
        (tool: { agentRef?: { name: string } }) => tool.agentRef?.name ?? [],
      ),
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(names).toContain(ref);
  });

  it("argocd/application.yaml syncs the CRD before the agents, from files of this repository", () => {
    const [application] = parseAllDocuments(
      readFileSync(join(root, "examples", "argocd", "application.yaml"), "utf8"),
    );
    const app = application?.toJS();
    expect(app).toMatchObject({ apiVersion: "argoproj.io/v1alpha1", kind: "Application" });
    expect(existsSync(join(root, app.spec.source.path))).toBe(true);
    expect(app.spec.syncPolicy.syncOptions).toEqual(
      expect.arrayContaining(["ServerSideApply=true", "SkipDryRunOnMissingResource=true"]),
    );
    // Every file the include names exists; the CRD is synced in an earlier wave than the agents.
    const included = (app.spec.source.directory.include as string).replace(/^\{|\}$/g, "").split(",");
    for (const file of included) expect(existsSync(join(root, app.spec.source.path, file))).toBe(true);
    const waveOf = (file: string) =>
      Number(
        (
          parseAllDocuments(readFileSync(join(root, file), "utf8")) as unknown as Array<{ toJS(): never }>
        ).map((document) => document.toJS() as { metadata: { annotations?: Record<string, string> } })[0]
          ?.metadata.annotations?.["argocd.argoproj.io/sync-wave"] ?? 0,
      );
    expect(waveOf("crds/agentry.dev_agentdeployments.yaml")).toBeLessThan(waveOf("examples/basic.yaml"));
  });
});

/** Every YAML file under examples/, with its documents in file order. */
function exampleDocuments(): Array<[string, Array<{ kind?: string; metadata?: { name?: string } }>]> {
  const files = readdirSync(join(root, "examples"), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".yaml"))
    .sort();
  return files.map((file) => [
    file,
    parseAllDocuments(readFileSync(join(root, "examples", file), "utf8")).map((document) => document.toJS()),
  ]);
}

describe("examples apply cleanly with one kubectl apply -f", () => {
  // kubectl applies documents in file order: an AgentDeployment before the ConfigMap or Secret it
  // reads is reconciled once without it and warns MissingReference (or MissingAgentRef).
  it.each(exampleDocuments())("%s lists what an AgentDeployment references before it", (_file, documents) => {
    const position = new Map(
      documents.map((document, index) => [`${document.kind}/${document.metadata?.name}`, index]),
    );
    const late: string[] = [];
    documents.forEach((document, index) => {
      if (document.kind !== "AgentDeployment") return;
      const parsed = parseAgentDeployment(document);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      const { name } = parsed.value.metadata;
      const references = [
        ...referencedData(name, parsed.value.spec).map((reference) => `${reference.kind}/${reference.name}`),
        ...(parsed.value.spec.agent.tools ?? []).flatMap((tool) =>
          tool.agentRef ? [`AgentDeployment/${tool.agentRef.name}`] : [],
        ),
      ];
      for (const reference of references) {
        const at = position.get(reference);
        if (at !== undefined && at > index)
          late.push(`AgentDeployment/${name} references ${reference}, listed after it`);
      }
    });
    expect(late).toEqual([]);
  });
});
