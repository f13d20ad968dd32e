// Runs the real operator (node operator/main.ts) as a child process against the test control
// plane, limited to one namespace, and reads its metrics: what the operator integration tests use.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { WRITE_VERBS } from "../../operator/controller/metrics.ts";
import { OPERATOR_NODE_FLAGS } from "../../operator/node-flags.ts";
import { REPO_ROOT } from "./cluster-env.ts";

export interface OperatorProcess {
  readonly identity: string;
  readonly port: number;
  readonly pid: number;
  readonly logs: string[];
  /** Parsed samples of one metric: labels -> value. */
  metric(name: string): Promise<Array<{ labels: Record<string, string>; value: number }>>;
  /** Sum of one metric's samples whose labels match `where`. */
  sum(name: string, where?: (labels: Record<string, string>) => boolean): Promise<number>;
  isLeader(): Promise<boolean>;
  /** Write requests (apply, create, patch, update, delete) the operator has made so far. */
  writes(): Promise<number>;
  /** The same, by "verb resource" (e.g. "apply agentdeployments/status"). */
  writesByTarget(): Promise<Map<string, number>>;
  /** What /readyz answers: true for 200. */
  ready(): Promise<boolean>;
  /** Resolves with the exit code when the process ends, however it ends. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface OperatorOptions {
  /** In integration tests: cluster.operator.kubeconfig, the Helm chart's ServiceAccount. */
  kubeconfig: string;
  namespace: string;
  identity: string;
  /** Where the leader Lease is held (the chart's release namespace); default: `namespace`. */
  leaseNamespace?: string;
  env?: Record<string, string>;
  /** The script to run: operator/main.ts by default; the benchmark runs the built dist/operator/main.js. */
  entry?: string;
  /** V8 flags instead of OPERATOR_NODE_FLAGS (the benchmark compares settings). */
  nodeFlags?: readonly string[];
}

const NODE = process.execPath;

/** The Lease of the operators of one test namespace: test files share the release namespace. */
export function leaseNameFor(namespace: string): string {
  return `agentry-${namespace}`;
}

export async function startOperator(options: OperatorOptions): Promise<OperatorProcess> {
  const child: ChildProcess = spawn(
    NODE,
    [
      ...(options.nodeFlags ?? OPERATOR_NODE_FLAGS),
      options.entry ?? path.join(REPO_ROOT, "operator/main.ts"),
    ],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        KUBECONFIG: options.kubeconfig,
        AGENTRY_WATCH_NAMESPACES: options.namespace,
        AGENTRY_LEASE_NAMESPACE: options.leaseNamespace ?? options.namespace,
        AGENTRY_LEASE_NAME: leaseNameFor(options.namespace),
        AGENTRY_RUNTIME_IMAGE: "ghcr.io/agentry/agent-runtime:test",
        AGENTRY_HTTP_HOST: "127.0.0.1",
        AGENTRY_HTTP_PORT: "0",
        AGENTRY_LOG_LEVEL: "debug",
        POD_NAME: options.identity,
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: string[] = [];
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        logs.push(line);
        const match = /"port":(\d+)/.exec(line);
        if (match && line.includes("operator starting")) resolve(Number(match[1]));
        newline = buffer.indexOf("\n");
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => logs.push(chunk.toString()));
    void exited.then((code) =>
      reject(new Error(`operator exited with ${code}:\n${logs.slice(-20).join("\n")}`)),
    );
  });

  const metric = async (name: string) => {
    // Bounded: a scrape that gets no answer fails in 30 s, not at undici's 300 s headers timeout.
    const text = await (
      await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(30_000) })
    ).text();
    const samples: Array<{ labels: Record<string, string>; value: number }> = [];
    for (const line of text.split("\n")) {
      if (!line.startsWith(name)) continue;
      const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const labels: Record<string, string> = {};
      for (const pair of (match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1] ?? ""] = pair[2] ?? "";
      samples.push({ labels, value: Number(match[3]) });
    }
    return samples;
  };
  const sum = async (name: string, where: (labels: Record<string, string>) => boolean = () => true) =>
    (await metric(name))
      .filter((sample) => where(sample.labels))
      .reduce((total, sample) => total + sample.value, 0);
  const writesByTarget = async () => {
    const counts = new Map<string, number>();
    for (const { labels, value } of await metric("agentry_kube_requests_total")) {
      if (!(WRITE_VERBS as readonly string[]).includes(labels.verb ?? "")) continue;
      const target = `${labels.verb} ${labels.resource}`;
      counts.set(target, (counts.get(target) ?? 0) + value);
    }
    return counts;
  };
  return {
    identity: options.identity,
    port,
    pid: child.pid ?? 0,
    logs,
    metric,
    sum,
    writes: async () => totalWrites(await writesByTarget()),
    writesByTarget,
    isLeader: async () => (await metric("agentry_leader"))[0]?.value === 1,
    ready: async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** All writes of a `writesByTarget()` reading. */
export function totalWrites(counts: Map<string, number>): number {
  return [...counts.values()].reduce((total, count) => total + count, 0);
}

/** The writes of `after` that `before` had not counted yet, by target, zeros left out. */
export function writesSince(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  return new Map(
    [...after]
      .map(([target, count]): [string, number] => [target, count - (before.get(target) ?? 0)])
      .filter(([, count]) => count !== 0),
  );
}

/** Leader election renews its Lease every few seconds: the writes that are no work on agents. */
export function withoutLease(counts: Map<string, number>): Map<string, number> {
  return new Map([...counts].filter(([target]) => !target.endsWith(" leases")));
}
