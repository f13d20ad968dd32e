/**
 * The cluster `npm run demo` runs on: the one `$KUBECONFIG` points at when it is set (and
 * AGENTRY_DEMO_LOCAL=1 does not ask for the local plane), else the local control plane, built and
 * started on first use. A kubeconfig whose API server does not answer is an error that names the
 * server; a cluster without the AgentDeployment CRD gets it, or a clear refusal when the user may
 * not create CRDs.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { KubeConfig, VersionApi } from "@kubernetes/client-node";
import { API_GROUP, CRD_NAME } from "../operator/api/constants.ts";
import type { ComponentName } from "../test/support/cluster-components.ts";
import { findBinaries, PLANE_COMPONENT_NAMES } from "../test/support/cluster-components.ts";
import { loadClusterEnv, REPO_ROOT } from "../test/support/cluster-env.ts";
import { kubectlFlags } from "../test/support/cluster-install.ts";
import { upPlane } from "../test/support/cluster-plane.ts";
import { findExecutable } from "../test/support/find-executable.ts";

export interface DemoCluster {
  /** true for the local plane: pods are played by kwok and run nothing. */
  local: boolean;
  kubeconfig: string;
  kubectlBinary: string;
  /** Environment for the operator's process beyond its kubeconfig (exec credential plugins need HOME). */
  operatorEnv: Record<string, string>;
  /** Removes what connecting created (a merged kubeconfig); the local plane keeps running. */
  close(): void;
}

/** A problem the user can fix: printed without a stack trace. */
export class DemoError extends Error {}

const REACH_TIMEOUT_MS = 10_000;

export function wantsKubeconfigCluster(env: NodeJS.ProcessEnv): boolean {
  return (
    Boolean(env.KUBECONFIG) && !["1", "true", "yes"].includes((env.AGENTRY_DEMO_LOCAL ?? "").toLowerCase())
  );
}

export async function connectDemoCluster(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<DemoCluster> {
  return wantsKubeconfigCluster(env) ? connectKubeconfig(env, log) : startLocalPlane(log);
}

/**
 * Builds (first time only) what the demo runs from Go modules: Prometheus for the canary's
 * analysis, and the local plane's binaries when it is used. Nothing comes from system packages.
 */
function buildDemoParts(components: readonly ComponentName[]): void {
  execFileSync(process.execPath, [path.join(REPO_ROOT, "test/cluster/build.ts"), ...components], {
    stdio: "inherit",
  });
}

async function startLocalPlane(log: (line: string) => void): Promise<DemoCluster> {
  buildDemoParts([...PLANE_COMPONENT_NAMES, "prometheus"]);
  const { state } = await upPlane(loadClusterEnv(), { startedBy: "cli", log: (line) => log(`   ${line}`) });
  return {
    local: true,
    kubeconfig: state.kubeconfig,
    kubectlBinary: state.binaries.kubectl,
    operatorEnv: {},
    close: () => undefined,
  };
}

async function connectKubeconfig(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<DemoCluster> {
  const source = env.KUBECONFIG ?? "";
  const config = new KubeConfig();
  try {
    config.loadFromDefault();
  } catch (error) {
    throw new DemoError(`Cannot read $KUBECONFIG (${source}): ${(error as Error).message}`);
  }
  const context = config.getCurrentContext();
  const server = config.getCurrentCluster()?.server;
  if (!context || !server)
    throw new DemoError(`$KUBECONFIG (${source}) has no current context with a cluster server`);
  try {
    const version = await withTimeout(config.makeApiClient(VersionApi).getCode(), REACH_TIMEOUT_MS);
    log(`Using the cluster from $KUBECONFIG: ${context} (${server}), Kubernetes ${version.gitVersion}`);
  } catch (error) {
    throw new DemoError(
      `Cannot reach the cluster from $KUBECONFIG (${source}): context ${context}, server ${server}: ${describe(error)}`,
    );
  }
  // The canary's analysis reads a Prometheus on this machine, built like the local plane.
  buildDemoParts(["prometheus"]);
  // A list of files, or one file: the operator and kubectl get a single file either way.
  const files = source.split(path.delimiter).filter(Boolean);
  let mergedDir: string | undefined;
  let kubeconfig = files[0] ?? "";
  if (files.length > 1) {
    mergedDir = mkdtempSync(path.join(tmpdir(), "agentry-demo-kubeconfig-"));
    kubeconfig = path.join(mergedDir, "kubeconfig");
    writeFileSync(kubeconfig, config.exportConfig(), { mode: 0o600 });
  }
  const kubectlBinary = findBinaries(loadClusterEnv()).binaries.kubectl ?? findExecutable("kubectl");
  if (!kubectlBinary)
    throw new DemoError(
      "The demo needs kubectl: put it on PATH, or build it with `npm run cluster:build -- kubernetes`",
    );
  const cluster: DemoCluster = {
    local: false,
    kubeconfig,
    kubectlBinary,
    operatorEnv: { HOME: env.HOME ?? "" },
    close: () => {
      if (mergedDir) rmSync(mergedDir, { recursive: true, force: true });
    },
  };
  try {
    ensureCrd(cluster, log);
  } catch (error) {
    cluster.close();
    throw error;
  }
  return cluster;
}

/** Installs the AgentDeployment CRD when the cluster lacks it; never changes or removes one. */
function ensureCrd(cluster: DemoCluster, log: (line: string) => void): void {
  const kubectl = (args: string[]) =>
    execFileSync(cluster.kubectlBinary, [...kubectlFlags(cluster.kubeconfig), ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  // Discovery, which every authenticated user may read (listing CRDs needs more).
  const served = kubectl(["api-resources", `--api-group=${API_GROUP}`, "-o", "name"]);
  if (served.split("\n").includes(CRD_NAME)) {
    log(`   the AgentDeployment CRD is installed (${CRD_NAME}); the demo uses it as it is`);
    return;
  }
  let allowed = "no";
  try {
    allowed = kubectl(["auth", "can-i", "create", "customresourcedefinitions.apiextensions.k8s.io"]);
  } catch (error) {
    allowed = (error as { stdout?: string }).stdout?.trim() || "no";
  }
  if (allowed !== "yes")
    throw new DemoError(
      `The cluster has no AgentDeployment CRD (${CRD_NAME}) and this user may not create CRDs: ask a cluster admin to run \`kubectl apply -f crds/\` (or install charts/agentry), then run the demo again`,
    );
  kubectl(["apply", "--server-side", "-f", path.join(REPO_ROOT, "crds")]);
  kubectl(["wait", "--for=condition=Established", `crd/${CRD_NAME}`, "--timeout=60s"]);
  log(
    `   installed the AgentDeployment CRD (${CRD_NAME}); it stays: removing it would delete every AgentDeployment`,
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The innermost cause: fetch wraps ECONNREFUSED and friends in "fetch failed". */
function describe(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  while (current instanceof Error && messages.length < 4) {
    const code = (current as { code?: string }).code;
    messages.push(code && !current.message.includes(code) ? `${current.message} (${code})` : current.message);
    current = current.cause;
  }
  return messages.join(": ") || String(error);
}
