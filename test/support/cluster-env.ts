import { homedir } from "node:os";
import path from "node:path";

/** Settings of the test control plane, read once from the environment by each entry point. */
export interface ClusterEnv {
  /** Root of everything built or started; outside the repository so nothing is ever committed. */
  cacheDir: string;
  /** Where the built binaries live: `<cacheDir>/cluster/<component>-<version>-<hash>/`. */
  binariesDir: string;
  /**
   * Pids, ports, certificates, logs, etcd data and the kubeconfig of the running plane
   * (AGENTRY_CLUSTER_STATE_DIR, default `<cacheDir>/cluster/state`).
   */
  stateDir: string;
  /** CI sets AGENTRY_REQUIRE_REAL_PARTS=1 after building: a missing binary then fails the run. */
  requireRealParts: boolean;
  /** AGENTRY_CLUSTER_KEEP=1 keeps a plane that a test run started running after the run. */
  keepAfterTests: boolean;
  /** AGENTRY_KEEP_NAMESPACES=1 keeps each test file's namespace, to look at what a test left. */
  keepNamespaces: boolean;
  /**
   * AGENTRY_CLUSTER_CONTROLLER_QPS: client QPS of kube-controller-manager and kube-scheduler (burst
   * twice that, and more concurrent Deployment and ReplicaSet syncs), for benchmarks at thousands of
   * agents; unset keeps the components' defaults (20 and 50 QPS).
   */
  controllerQps?: number;
}

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

export function loadClusterEnv(env: NodeJS.ProcessEnv = process.env): ClusterEnv {
  const cacheDir = path.resolve(env.AGENTRY_CACHE_DIR || path.join(homedir(), ".cache", "agentry"));
  const clusterDir = path.join(cacheDir, "cluster");
  return {
    cacheDir,
    binariesDir: clusterDir,
    // A second, separate plane (e.g. a benchmark next to a test run) gets its own state dir.
    stateDir: path.resolve(env.AGENTRY_CLUSTER_STATE_DIR || path.join(clusterDir, "state")),
    requireRealParts: isTruthy(env.AGENTRY_REQUIRE_REAL_PARTS),
    keepAfterTests: isTruthy(env.AGENTRY_CLUSTER_KEEP),
    keepNamespaces: isTruthy(env.AGENTRY_KEEP_NAMESPACES),
    ...(env.AGENTRY_CLUSTER_CONTROLLER_QPS
      ? { controllerQps: positive(env.AGENTRY_CLUSTER_CONTROLLER_QPS) }
      : {}),
  };
}

function positive(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new Error(`AGENTRY_CLUSTER_CONTROLLER_QPS must be a positive number, not "${value}"`);
  return number;
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes"].includes(value.toLowerCase());
}
