import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { RunResult } from "./cluster-exec.ts";
import { runChecked } from "./cluster-exec.ts";
import type { ManifestDirs } from "./cluster-manifests.ts";

/**
 * kubectl's discovery cache for the plane, next to its kubeconfig: thrown away with the plane and
 * after every CRD change (kubectl explain does not notice new resources in a stale cache).
 */
export function kubectlCacheDir(kubeconfig: string): string {
  return path.join(path.dirname(kubeconfig), "kubectl-cache");
}

/** The global flags every harness and test kubectl call uses. */
export function kubectlFlags(kubeconfig: string): string[] {
  return ["--kubeconfig", kubeconfig, "--cache-dir", kubectlCacheDir(kubeconfig)];
}

/** Runs the built kubectl against a kubeconfig; throws with kubectl's output on failure. */
export function kubectl(
  binary: string,
  kubeconfig: string,
  args: readonly string[],
  input?: string,
): Promise<RunResult> {
  return runChecked(binary, [...kubectlFlags(kubeconfig), ...args], { input, timeoutMs: 120_000 });
}

export const FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node";
export const FAKE_NODE_COUNT = 3;
const ZONES = ["zone-a", "zone-b", "zone-c"];

/**
 * kwok-managed fake nodes, one per zone so topology spread constraints have something to
 * spread over, with room for 10 000 pods each (the benchmark runs 10 000 agents, a pod each, on
 * them). No taint: test pods need no toleration.
 */
export function fakeNodes(count = FAKE_NODE_COUNT): object[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `kwok-node-${i}`;
    const zone = ZONES[i % ZONES.length] ?? "zone-a";
    const resources = { cpu: "1000", memory: "4Ti", pods: "10000", "ephemeral-storage": "10Ti" };
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        annotations: { [FAKE_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: {
          "kubernetes.io/arch": "amd64",
          "kubernetes.io/os": "linux",
          "kubernetes.io/hostname": name,
          "node-role.kubernetes.io/agent": "",
          "topology.kubernetes.io/region": "local",
          "topology.kubernetes.io/zone": zone,
          type: "kwok",
        },
      },
      status: {
        capacity: resources,
        allocatable: resources,
        addresses: [
          { type: "InternalIP", address: `10.240.0.${i + 1}` },
          { type: "Hostname", address: name },
        ],
        nodeInfo: {
          architecture: "amd64",
          operatingSystem: "linux",
          kubeletVersion: "fake",
          kubeProxyVersion: "fake",
          containerRuntimeVersion: "kwok",
          osImage: "kwok",
          kernelVersion: "kwok",
          machineID: "",
          systemUUID: "",
          bootID: "",
        },
        phase: "Running",
      },
    };
  });
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => path.join(dir, file));
}

function applyArgs(files: string[]): string[] {
  return [
    "apply",
    "--server-side",
    "--force-conflicts",
    "--field-manager=agentry-test-cluster",
    ...files.flatMap((f) => ["-f", f]),
  ];
}

export interface InstallInput {
  kubectl: string;
  kubeconfig: string;
  manifests: ManifestDirs;
  log: (line: string) => void;
}

const waitEstablished = (binary: string, kubeconfig: string, names: string[]) =>
  kubectl(binary, kubeconfig, ["wait", "--for=condition=Established", "--timeout=60s", ...names]);

/** Third-party CRDs: kwok's Stage, Gateway API standard, ServiceMonitor; waits for Established. */
export async function installThirdPartyCrds(input: InstallInput): Promise<void> {
  const { manifests } = input;
  const files = [
    ...yamlFiles(manifests.kwokCrd),
    ...yamlFiles(manifests.gatewayApi),
    ...yamlFiles(manifests.serviceMonitor),
  ];
  await kubectl(input.kubectl, input.kubeconfig, applyArgs(files));
  await waitEstablished(input.kubectl, input.kubeconfig, ["customresourcedefinitions", "--all"]);
  input.log("CRDs established: kwok Stage, Gateway API standard channel, ServiceMonitor");
}

export interface ProjectCrds {
  /** File names applied from crds/. */
  files: string[];
  /** The API server's answer when it rejected them, for the CRD smoke test to report. */
  error?: string;
}

/**
 * Applies every YAML file in the project's crds/ folder, on every `cluster:up` and test run, so
 * a reused plane always has the CRDs as they are in the working tree. A rejection is returned,
 * not thrown: the plane itself is fine, and the CRD's own test says what is wrong with it.
 */
export async function applyProjectCrds(
  binary: string,
  kubeconfig: string,
  dir: string,
): Promise<ProjectCrds> {
  const files = yamlFiles(dir);
  if (files.length === 0) return { files: [] };
  const names = files.map((file) => path.basename(file));
  try {
    const applied = await kubectl(binary, kubeconfig, [...applyArgs(files), "-o", "name"]);
    const crds = applied.stdout.split("\n").filter((line) => line.startsWith("customresourcedefinition"));
    if (crds.length > 0) await waitEstablished(binary, kubeconfig, crds);
    return { files: names };
  } catch (error) {
    return { files: names, error: error instanceof Error ? error.message : String(error) };
  } finally {
    rmSync(kubectlCacheDir(kubeconfig), { recursive: true, force: true });
  }
}

/** kwok's default node and pod stages (as Stage objects, so tests can add their own) and the nodes. */
export async function installFakeNodes(input: InstallInput): Promise<void> {
  await kubectl(input.kubectl, input.kubeconfig, applyArgs(yamlFiles(input.manifests.kwokStages)));
  const nodes = fakeNodes()
    .map((node) => stringify(node))
    .join("---\n");
  // create, not apply: the plane always starts from an empty etcd, and kwok owns the status.
  await kubectl(input.kubectl, input.kubeconfig, ["create", "-f", "-"], nodes);
  await kubectl(input.kubectl, input.kubeconfig, [
    "wait",
    "--for=condition=Ready",
    "--timeout=60s",
    "nodes",
    "--all",
  ]);
  input.log(`${FAKE_NODE_COUNT} kwok nodes Ready`);
}
