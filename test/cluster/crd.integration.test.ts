import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { describeWithCluster, useTestNamespace } from "../support/cluster.ts";
import { REPO_ROOT } from "../support/cluster-env.ts";

const CRD_FILE = path.join(REPO_ROOT, "crds", "agentry.dev_agentdeployments.yaml");
const INVALID_DIR = path.join(REPO_ROOT, "test", "fixtures", "invalid");
const EXAMPLES_DIR = path.join(REPO_ROOT, "examples");
const hasCrd = existsSync(CRD_FILE);
const yamlIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
    : [];

interface SchemaProps {
  properties?: Record<string, { description?: string }>;
}
interface Crd {
  spec: {
    versions: { storage: boolean; schema: { openAPIV3Schema: { properties: { spec: SchemaProps } } } }[];
  };
}

const squash = (text: string) => text.replace(/\s+/g, " ").trim();

describeWithCluster("CRDs on the test control plane", (cluster) => {
  const ns = useTestNamespace(cluster);

  it("has the Gateway API standard CRDs and the ServiceMonitor CRD", async () => {
    const resources = await cluster.kubectl(["api-resources", "-o", "name"]);
    for (const name of [
      "gateways.gateway.networking.k8s.io",
      "httproutes.gateway.networking.k8s.io",
      "gatewayclasses.gateway.networking.k8s.io",
      "servicemonitors.monitoring.coreos.com",
    ]) {
      expect(resources.split("\n")).toContain(name);
    }
  });

  // Everything below needs the CRD; when the API server rejected it, the test above fails with
  // its answer and these are skipped rather than failing one by one for the same reason.
  const crdInstalled = hasCrd && cluster.projectCrds.error === undefined;

  it.skipIf(!hasCrd)("accepts the project's CRD from crds/", () => {
    // The globalSetup applied crds/ at the start of the run; this is the API server's verdict.
    // Compared as text so a failure shows the API server's whole answer, not a truncated one.
    expect(cluster.projectCrds.error ?? "accepted").toBe("accepted");
    expect(cluster.projectCrds.files).toContain(path.basename(CRD_FILE));
  });

  it.skipIf(!crdInstalled)("`kubectl explain agd.spec` prints each field's description", async () => {
    const crd = parse(readFileSync(CRD_FILE, "utf8")) as Crd;
    const version = crd.spec.versions.find((v) => v.storage);
    const fields = Object.entries(version?.schema.openAPIV3Schema.properties.spec.properties ?? {});
    expect(fields.length).toBeGreaterThan(0);

    const explained = await cluster.kubectl(["explain", "agd.spec"]);
    const flat = squash(explained);
    for (const [field, schema] of fields) {
      expect(explained, `field ${field}`).toMatch(new RegExp(`^\\s+${field}\\s+<`, "m"));
      expect(schema.description, `description of spec.${field}`).toBeTruthy();
      expect(flat, `description of spec.${field}`).toContain(squash(schema.description ?? "").slice(0, 60));
    }
  });

  it.skipIf(!crdInstalled)(
    "accepts a minimal AgentDeployment (so the rejections below mean something)",
    async () => {
      const minimal = {
        apiVersion: "agentry.dev/v1alpha1",
        kind: "AgentDeployment",
        metadata: { name: "minimal" },
        spec: { agent: { model: "gpt-4o-mini" } },
      };
      await cluster.kubectl(["apply", "--dry-run=server", "-n", ns.name, "-f", "-"], JSON.stringify(minimal));
    },
  );

  it.skipIf(!crdInstalled).each(yamlIn(EXAMPLES_DIR))("accepts examples/%s", async (file) => {
    await cluster.kubectl(["apply", "--dry-run=server", "-n", ns.name, "-f", path.join(EXAMPLES_DIR, file)]);
  });

  it.skipIf(!crdInstalled).each(yamlIn(INVALID_DIR))("rejects test/fixtures/invalid/%s", async (file) => {
    const full = path.join(INVALID_DIR, file);
    const error = await cluster
      .kubectl(["apply", "--dry-run=server", "--validate=strict", "-n", ns.name, "-f", full])
      .then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
    expect(error, "the API server accepted it").toBeDefined();
    // A missing CRD rejects everything; only a fixture about the apiVersion may fail that way.
    const { apiVersion } = parse(readFileSync(full, "utf8")) as { apiVersion?: string };
    if (apiVersion === "agentry.dev/v1alpha1") expect(error).not.toMatch(/no matches for kind/);
  });
});
