// The identity the operator runs under in integration tests: the Helm chart installed into the
// plane, and a kubeconfig holding a token of the chart's ServiceAccount. An operator started with
// it has exactly the chart's RBAC, so a verb the chart lacks fails the test that needs it.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { REPO_ROOT } from "./cluster-env.ts";
import { runChecked } from "./cluster-exec.ts";
import { kubectl } from "./cluster-install.ts";

export const CHART_DIR = path.join(REPO_ROOT, "charts", "agentry");
/** The release the test run installs once per plane (cluster-wide mode). */
export const OPERATOR_RELEASE = { name: "agentry", namespace: "agentry-system" } as const;
/** Tokens outlive any test run; a fresh one is made at the start of each run. */
const TOKEN_DURATION = "48h";

export interface OperatorIdentity {
  /** A kubeconfig that authenticates as the chart's ServiceAccount. */
  kubeconfig: string;
  /** The release namespace: the only one where the chart lets the operator hold a Lease. */
  namespace: string;
  serviceAccount: string;
}

export interface ChartTools {
  kubectl: string;
  helm: string;
  /** The plane's admin kubeconfig. */
  kubeconfig: string;
}

/**
 * Installs (or upgrades) a release of charts/agentry and returns a kubeconfig with a token of its
 * ServiceAccount. The release's Deployment gets pods from kwok, which run nothing: the operator
 * itself runs from source in the tests, under this identity.
 */
export async function installOperatorChart(
  tools: ChartTools,
  release: { name: string; namespace: string },
  values: string[] = [],
  kubeconfigFile = path.join(
    path.dirname(tools.kubeconfig),
    `${release.name}.${release.namespace}.kubeconfig`,
  ),
): Promise<OperatorIdentity> {
  await runChecked(
    tools.helm,
    [
      "--kubeconfig",
      tools.kubeconfig,
      "upgrade",
      "--install",
      release.name,
      CHART_DIR,
      "--namespace",
      release.namespace,
      "--create-namespace",
      ...values.flatMap((value) => ["--set", value]),
    ],
    { timeoutMs: 120_000 },
  );
  const { stdout: manifest } = await runChecked(
    tools.helm,
    ["--kubeconfig", tools.kubeconfig, "get", "manifest", release.name, "--namespace", release.namespace],
    { timeoutMs: 60_000 },
  );
  const serviceAccount = manifest
    .split(/^---$/m)
    .map((document) => parse(document) as { kind?: string; metadata?: { name?: string } } | null)
    .find((object) => object?.kind === "ServiceAccount")?.metadata?.name;
  if (!serviceAccount) throw new Error(`release ${release.name} has no ServiceAccount`);
  await writeServiceAccountKubeconfig(
    tools,
    { namespace: release.namespace, serviceAccount },
    kubeconfigFile,
  );
  return { kubeconfig: kubeconfigFile, namespace: release.namespace, serviceAccount };
}

/** Writes `file`: a kubeconfig holding a fresh token of the ServiceAccount (`kubectl create token`). */
export async function writeServiceAccountKubeconfig(
  tools: { kubectl: string; kubeconfig: string },
  account: { namespace: string; serviceAccount: string },
  file: string,
): Promise<void> {
  const token = (
    await kubectl(tools.kubectl, tools.kubeconfig, [
      "create",
      "token",
      account.serviceAccount,
      "--namespace",
      account.namespace,
      `--duration=${TOKEN_DURATION}`,
    ])
  ).stdout.trim();
  writeTokenKubeconfig(tools.kubeconfig, token, file);
}

/** The admin kubeconfig's cluster (server and CA) with a bearer token as its only credential. */
function writeTokenKubeconfig(adminKubeconfig: string, token: string, file: string): void {
  const admin = parse(readFileSync(adminKubeconfig, "utf8")) as {
    clusters: Array<{ cluster: Record<string, string> }>;
  };
  const cluster = admin.clusters[0]?.cluster;
  if (!cluster) throw new Error(`${adminKubeconfig} names no cluster`);
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "plane", cluster }],
    users: [{ name: "operator", user: { token } }],
    contexts: [{ name: "operator", context: { cluster: "plane", user: "operator" } }],
    "current-context": "operator",
  };
  writeFileSync(file, stringify(config), { mode: 0o600 });
}
