// What integration tests use: the real control plane that the `integration` project's
// globalSetup (cluster-global-setup.ts) started, a namespace per test file, kubectl and helm for
// it, and the readiness-failure helper.
//
//   describeWithCluster("rollouts", (cluster) => {
//     const ns = useTestNamespace(cluster);
//     it("...", async () => {
//       await cluster.kubectl(["apply", "-n", ns.name, "-f", "-"], manifest);
//     });
//   });
import { randomBytes } from "node:crypto";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject } from "vitest";
import type { Binaries } from "./cluster-components.ts";
import { runChecked } from "./cluster-exec.ts";
import { type ProjectCrds, kubectl as runKubectl } from "./cluster-install.ts";
import type { Kubectl, ReadinessFailure, ReadinessTarget } from "./cluster-readiness.ts";
import { failReadiness, UNREADY_STAGE_LABEL } from "./cluster-readiness.ts";
import type { OperatorIdentity } from "./operator-identity.ts";

export type { LabelSelector, ReadinessFailure, ReadinessTarget } from "./cluster-readiness.ts";

/** What the globalSetup hands to test files (JSON, through vitest's provide/inject). */
export type ClusterInfo =
  | { available: false; reason: string }
  | {
      available: true;
      kubeconfig: string;
      server: string;
      binaries: Binaries;
      /** crds/ as applied at the start of this run, with the API server's rejection if any. */
      projectCrds: ProjectCrds;
      keepNamespaces: boolean;
      /** charts/agentry installed into the plane, and a kubeconfig with its ServiceAccount's token. */
      operator: OperatorIdentity;
    };

declare module "vitest" {
  interface ProvidedContext {
    agentryCluster: ClusterInfo;
  }
}

export interface TestCluster {
  readonly kubeconfig: string;
  readonly server: string;
  readonly binaries: Binaries;
  readonly projectCrds: ProjectCrds;
  /** AGENTRY_KEEP_NAMESPACES=1: test namespaces are left behind for a look. */
  readonly keepNamespaces: boolean;
  /**
   * What operators in tests run as: the chart's ServiceAccount (cluster-wide release), whose
   * kubeconfig has only the chart's RBAC, and the release namespace where it may hold Leases.
   */
  readonly operator: OperatorIdentity;
  /** The built kubectl with this cluster's kubeconfig; resolves to stdout, throws on failure. */
  kubectl: Kubectl;
  /** kubectl with `-o json` appended, parsed. */
  kubectlJson<T = unknown>(args: string[]): Promise<T>;
  /** The built Helm 4 (`helm`, what users install with) with this cluster's kubeconfig. */
  helm(args: string[]): Promise<string>;
  /** The built Helm 3 (`helm3`) with this cluster's kubeconfig, for the chart's Helm 3 tests. */
  helm3(args: string[]): Promise<string>;
  /** Makes matching pods fail readiness (see cluster-readiness.ts). */
  failReadiness(target: ReadinessTarget): Promise<ReadinessFailure>;
}

/** The plane given to this test run, or why there is none. */
export function clusterInfo(): ClusterInfo {
  const info = inject("agentryCluster") as ClusterInfo | undefined;
  return info ?? { available: false, reason: "the integration project's globalSetup did not run" };
}

function unavailable(reason: string): never {
  throw new Error(`no control plane for this test run: ${reason}`);
}

export function testCluster(info: ClusterInfo = clusterInfo()): TestCluster {
  if (!info.available) {
    const fail = () => unavailable(info.reason);
    return {
      kubeconfig: "",
      server: "",
      binaries: {} as Binaries,
      projectCrds: { files: [] },
      keepNamespaces: false,
      operator: { kubeconfig: "", namespace: "", serviceAccount: "" },
      kubectl: fail,
      kubectlJson: fail,
      helm: fail,
      helm3: fail,
      failReadiness: fail,
    };
  }
  const kubectl: Kubectl = async (args, input) =>
    (await runKubectl(info.binaries.kubectl, info.kubeconfig, args, input)).stdout;
  return {
    kubeconfig: info.kubeconfig,
    server: info.server,
    binaries: info.binaries,
    projectCrds: info.projectCrds,
    keepNamespaces: info.keepNamespaces,
    operator: info.operator,
    kubectl,
    kubectlJson: async <T>(args: string[]) => JSON.parse(await kubectl([...args, "-o", "json"])) as T,
    // helm takes --kubeconfig but not kubectl's --cache-dir.
    helm: (args) => runHelm(info.binaries.helm, info.kubeconfig, args),
    helm3: (args) => runHelm(info.binaries.helm3, info.kubeconfig, args),
    failReadiness: (target) => failReadiness(kubectl, target),
  };
}

async function runHelm(binary: string, kubeconfig: string, args: string[]): Promise<string> {
  return (await runChecked(binary, ["--kubeconfig", kubeconfig, ...args], { timeoutMs: 120_000 })).stdout;
}

/**
 * A describe block that runs against the real control plane, and is reported as skipped when the
 * run has none (the globalSetup already said so loudly, or failed under AGENTRY_REQUIRE_REAL_PARTS),
 * or when `runnable` is false: another real part it needs is missing (its check said so loudly).
 * A skipped block is reported as skipped, never as an empty suite, which vitest counts as a failure.
 */
export function describeWithCluster(
  name: string,
  body: (cluster: TestCluster) => void,
  runnable = true,
): void {
  const info = clusterInfo();
  describe.skipIf(!info.available || !runnable)(name, () => body(testCluster(info)));
}

export interface TestNamespace {
  /** Set in beforeAll; read it inside tests and hooks only. */
  readonly name: string;
}

/**
 * Gives the calling test file (or describe block) its own namespace: created in beforeAll once
 * the controller manager has given it a default ServiceAccount (pods can be created then), and
 * deleted in afterAll together with any readiness stages made for it.
 */
export function useTestNamespace(cluster: TestCluster, prefix?: string): TestNamespace {
  let name = "";
  beforeAll(async () => {
    const base =
      prefix ??
      path.basename(expect.getState().testPath ?? "test").replace(/\.(integration\.)?test\.ts$/, "");
    const slug = base
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+/, "")
      .slice(0, 40)
      .replace(/-+$/, "");
    name = `t-${slug}-${randomBytes(3).toString("hex")}`;
    await cluster.kubectl(["create", "namespace", name]);
    await cluster.kubectl(["label", "namespace", name, "agentry.dev/test=true"]);
    await eventually(async () => {
      const out = await cluster.kubectl(["get", "serviceaccounts", "-n", name, "-o", "name"]);
      return out.includes("serviceaccount/default");
    }, 30_000);
  });
  afterAll(async () => {
    if (!name) return;
    await cluster.kubectl([
      "delete",
      "stages.kwok.x-k8s.io",
      "-l",
      `${UNREADY_STAGE_LABEL}=${name}`,
      "--ignore-not-found",
    ]);
    if (cluster.keepNamespaces) {
      console.log(`[cluster] AGENTRY_KEEP_NAMESPACES: keeping namespace ${name}`);
      return;
    }
    await cluster.kubectl(["delete", "namespace", name, "--wait=false"]);
  });
  return {
    get name() {
      if (!name) throw new Error("the test namespace exists only inside tests and hooks (after beforeAll)");
      return name;
    },
  };
}

/** Polls `check` until it returns true (or throws its last error after the timeout). */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs / 1000}s`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
