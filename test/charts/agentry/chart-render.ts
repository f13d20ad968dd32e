// Renders charts/agentry with the plane's helm, for the chart tests.
import { parseAllDocuments } from "yaml";
import type { TestCluster } from "../../support/cluster.ts";
import { run } from "../../support/cluster-exec.ts";
import { CHART_DIR } from "../../support/operator-identity.ts";

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** `helm template` output as text; throws with helm's stderr when it refuses the values. */
export async function renderChart(
  cluster: TestCluster,
  values: string[] = [],
  release = { name: "agentry", namespace: "agentry-system" },
): Promise<string> {
  return cluster.helm([
    "template",
    release.name,
    CHART_DIR,
    "--namespace",
    release.namespace,
    ...values.flatMap((value) => ["--set", value]),
  ]);
}

export function parseRendered(text: string): RenderedObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as RenderedObject | null)
    .filter((object): object is RenderedObject => object !== null);
}

/** What helm says when it refuses to render: its stderr. */
export async function renderError(cluster: TestCluster, values: string[]): Promise<string> {
  const args = ["template", "agentry", CHART_DIR, ...values.flatMap((value) => ["--set", value])];
  const result = await run(cluster.binaries.helm, args);
  if (result.code === 0) throw new Error(`helm rendered the chart with ${values.join(" ")}`);
  return result.stderr;
}
