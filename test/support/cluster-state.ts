import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Binaries } from "./cluster-components.ts";
import type { ProcessRecord } from "./cluster-process.ts";

export type ComponentProcess =
  | "etcd"
  | "kube-apiserver"
  | "kube-controller-manager"
  | "kube-scheduler"
  | "kwok";

/** Start order; stopped in reverse. */
export const PROCESS_ORDER: readonly ComponentProcess[] = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
];

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

/** What `cluster:up` leaves in `<stateDir>/state.json` for `down`, `status` and test runs. */
export interface PlaneState {
  formatVersion: 1;
  startedAt: string;
  /** "test" when a test run started it: the last test run out stops it again. */
  startedBy: "cli" | "test";
  /** True once everything is installed and healthy; a plane that never got there is restarted. */
  ready: boolean;
  server: string;
  kubeconfig: string;
  ports: Ports;
  binaries: Binaries;
  processes: Partial<Record<ComponentProcess, ProcessRecord>>;
}

/** Fixed layout of the state directory. */
export function statePaths(stateDir: string) {
  return {
    stateFile: path.join(stateDir, "state.json"),
    kubeconfig: path.join(stateDir, "kubeconfig"),
    kubeconfigs: path.join(stateDir, "kubeconfigs"),
    pki: path.join(stateDir, "pki"),
    etcdData: path.join(stateDir, "etcd"),
    logs: path.join(stateDir, "logs"),
    certDirs: path.join(stateDir, "serving-certs"),
    kwokConfig: path.join(stateDir, "kwok.yaml"),
    users: path.join(stateDir, "users"),
    kubectlCache: path.join(stateDir, "kubectl-cache"),
  };
}

export function readState(stateDir: string): PlaneState | undefined {
  const file = statePaths(stateDir).stateFile;
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as PlaneState;
    return state.formatVersion === 1 ? state : undefined;
  } catch {
    return undefined;
  }
}

export async function writeState(stateDir: string, state: PlaneState): Promise<void> {
  const file = statePaths(stateDir).stateFile;
  await mkdir(stateDir, { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}
