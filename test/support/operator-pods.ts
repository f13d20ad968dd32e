// Plays the container of every operator pod the Helm chart (or its rendered manifests) created:
// kwok makes those pods Running but runs nothing, so for each running pod this starts the real
// operator (node operator/main.ts) with that pod's environment (plain values and the downward
// API's metadata.name / metadata.namespace) under a token of the pod's ServiceAccount, as the
// kubelet would. A pod that is deleted gets SIGTERM; an operator that exits while its pod still
// runs is started again, as a container restart.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { OPERATOR_NODE_FLAGS } from "../../operator/node-flags.ts";
import { REPO_ROOT } from "./cluster-env.ts";
import { kubectl } from "./cluster-install.ts";
import { writeServiceAccountKubeconfig } from "./operator-identity.ts";

/** The chart's pod labels (agentry.selectorLabels and agentry.labels). */
export const OPERATOR_POD_SELECTOR = "app.kubernetes.io/part-of=agentry,app.kubernetes.io/component=operator";
const POLL_MS = 500;
const KEPT_LOG_LINES = 200;

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

interface Pod {
  metadata: { name: string; namespace: string; uid: string; deletionTimestamp?: string };
  spec: { serviceAccountName?: string; containers: Array<{ name: string; env?: EnvVar[] }> };
  status: { phase?: string };
}

interface Container {
  pod: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  terminating: boolean;
}

export interface OperatorPods {
  /** Pods whose operator runs now, `namespace/name`. */
  running(): string[];
  /** The last log lines of every operator started, prefixed with its pod. */
  logs(): string[];
  /** Pods that cannot be played (an env source this player does not know): should stay empty. */
  readonly problems: string[];
  stop(): Promise<void>;
}

export function playOperatorPods(tools: { kubectl: string; kubeconfig: string }): OperatorPods {
  const containers = new Map<string, Container>();
  const logs: string[] = [];
  const problems: string[] = [];
  const tokens = mkdtempSync(path.join(tmpdir(), "operator-pods-"));
  let stopped = false;
  let polling: Promise<void> = Promise.resolve();

  const keep = (line: string) => {
    logs.push(line);
    if (logs.length > KEPT_LOG_LINES) logs.splice(0, logs.length - KEPT_LOG_LINES);
  };

  const environment = (pod: Pod): Record<string, string> => {
    const container = pod.spec.containers.find((candidate) => candidate.name === "operator");
    if (!container)
      throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name} has no operator container`);
    const fields: Record<string, string> = {
      "metadata.name": pod.metadata.name,
      "metadata.namespace": pod.metadata.namespace,
    };
    const env: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      const field = variable.valueFrom?.fieldRef?.fieldPath;
      // An empty value is stored as no value at all.
      if (!variable.valueFrom) env[variable.name] = variable.value ?? "";
      else if (field && field in fields) env[variable.name] = fields[field] ?? "";
      else
        throw new Error(
          `env ${variable.name} of ${pod.metadata.name}: only values and ${Object.keys(fields).join(", ")} are played`,
        );
    }
    return env;
  };

  const start = async (pod: Pod) => {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const env = environment(pod);
    const kubeconfig = path.join(tokens, `${pod.metadata.namespace}.${pod.metadata.name}.kubeconfig`);
    try {
      await writeServiceAccountKubeconfig(
        tools,
        { namespace: pod.metadata.namespace, serviceAccount: pod.spec.serviceAccountName ?? "default" },
        kubeconfig,
      );
    } catch (error) {
      // An uninstall deletes the ServiceAccount before the pods are gone: tried again next poll.
      keep(`${key}: no token yet: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const child = spawn(
      process.execPath,
      [...OPERATOR_NODE_FLAGS, path.join(REPO_ROOT, "operator/main.ts")],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH,
          ...env,
          KUBECONFIG: kubeconfig,
          // Every pod has its own IP; here they share loopback.
          AGENTRY_HTTP_HOST: "127.0.0.1",
          AGENTRY_HTTP_PORT: "0",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    for (const stream of [child.stdout, child.stderr]) {
      let buffer = "";
      stream?.setEncoding("utf8").on("data", (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) keep(`${key}: ${line}`);
      });
    }
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const container: Container = { pod: key, child, exited, terminating: false };
    containers.set(key, container);
    void exited.then((code) => {
      keep(`${key}: exited with ${code}`);
      if (containers.get(key) === container) containers.delete(key);
    });
  };

  const poll = async () => {
    const { stdout } = await kubectl(tools.kubectl, tools.kubeconfig, [
      "get",
      "pods",
      "--all-namespaces",
      "-l",
      OPERATOR_POD_SELECTOR,
      "-o",
      "json",
    ]);
    const pods = (JSON.parse(stdout) as { items: Pod[] }).items;
    const live = new Set<string>();
    for (const pod of pods) {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if (pod.metadata.deletionTimestamp || pod.status.phase !== "Running") continue;
      live.add(key);
      if (!containers.has(key)) {
        try {
          await start(pod);
        } catch (error) {
          const problem = `${key}: ${error instanceof Error ? error.message : String(error)}`;
          if (!problems.includes(problem)) problems.push(problem);
        }
      }
    }
    for (const [key, container] of containers) {
      if (live.has(key) || container.terminating) continue;
      container.terminating = true;
      container.child.kill("SIGTERM");
    }
  };

  const loop = async () => {
    while (!stopped) {
      await poll().catch((error: unknown) => keep(`poll: ${error instanceof Error ? error.message : error}`));
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  polling = loop();

  return {
    running: () => [...containers.keys()],
    logs: () => [...logs],
    problems,
    stop: async () => {
      stopped = true;
      await polling;
      const all = [...containers.values()];
      for (const container of all) container.child.kill("SIGKILL");
      await Promise.all(all.map((container) => container.exited));
      rmSync(tokens, { recursive: true, force: true });
    },
  };
}
