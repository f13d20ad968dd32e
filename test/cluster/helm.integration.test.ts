import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { describeWithCluster, useTestNamespace } from "../support/cluster.ts";
import { componentVersion, moduleDir, requiredVersion } from "../support/cluster-components.ts";

/** The Kubernetes minor that a helm built from this module assumes offline: its client-go's. */
function clientGoMinor(component: "helm" | "helm3"): string {
  const goMod = readFileSync(path.join(moduleDir(component), "go.mod"), "utf8");
  return /^v0\.(\d+)\./.exec(requiredVersion(goMod, "k8s.io/client-go"))?.[1] ?? "unknown";
}

describeWithCluster("helm on the test control plane", (cluster) => {
  const ns = useTestNamespace(cluster);
  // A chart that prints what `helm template` assumes about the cluster it renders for.
  const chart = mkdtempSync(path.join(tmpdir(), "agentry-capabilities-"));
  mkdirSync(path.join(chart, "templates"));
  writeFileSync(path.join(chart, "Chart.yaml"), "apiVersion: v2\nname: capabilities\nversion: 0.1.0\n");
  writeFileSync(
    path.join(chart, "templates", "kube-version.yaml"),
    "kind: ConfigMap\napiVersion: v1\nmetadata: {name: kube}\ndata: {version: {{ .Capabilities.KubeVersion.Version | quote }}}\n",
  );
  afterAll(() => rmSync(chart, { recursive: true, force: true }));

  const versions = [
    { name: "helm (Helm 4)", run: cluster.helm, component: "helm" as const },
    { name: "helm3 (Helm 3)", run: cluster.helm3, component: "helm3" as const },
  ];

  it.each(versions)("$name is the pinned release build and reaches the API server", async (helm) => {
    expect(JSON.parse(await helm.run(["list", "-n", ns.name, "-o", "json"]))).toEqual([]);
    const version = await helm.run(["version", "--template", "{{.Version}} {{.GitTreeState}}"]);
    // A release build: the tag's version, no "+unreleased" metadata, a clean tree.
    expect(version).toBe(`${componentVersion(helm.component)} clean`);
  });

  it.each(versions)("$name renders offline for the Kubernetes minor of its client-go", async (helm) => {
    const rendered = await helm.run(["template", "x", chart]);
    expect(rendered).toContain(`version: "v1.${clientGoMinor(helm.component)}.0"`);
  });
});
