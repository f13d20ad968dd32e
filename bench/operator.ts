/**
 * `npm run bench:operator`: applies N AgentDeployments at once to the local control plane and
 * measures how long until all are Ready, against a floor: a plain script creating the same
 * child objects (a Deployment and a Service per agent) with the same client and concurrency and no
 * operator. Also: API writes per agent, writes during a steady-state window, operator peak RSS.
 *
 *   BENCH_SIZES=100,1000 BENCH_STEADY_SECONDS=300 npm run bench:operator
 *
 * Prints a table and writes bench/results/operator.json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "../agent-runtime/testing/wait-for.ts";
import { KubeApi } from "../operator/kube/kube-api.ts";
import { resourcePath } from "../operator/kube/resources.ts";
import { loadClusterEnv, REPO_ROOT } from "../test/support/cluster-env.ts";
import { downPlane, upPlane } from "../test/support/cluster-plane.ts";
import { startOperator } from "../test/support/operator-process.ts";

const sizes = (process.env.BENCH_SIZES ?? "100,1000").split(",").map(Number);
const steadySeconds = Number(process.env.BENCH_STEADY_SECONDS ?? 300);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const IMAGE = "ghcr.io/agentry/agent-runtime:bench";
/** How long one wait of the benchmark may take before it fails. */
const BENCH_TIMEOUT_MS = 900_000;

async function main() {
  // A plane of its own, so tests or a `cluster:down` elsewhere cannot pull it away mid-run.
  const shared = loadClusterEnv();
  const env = loadClusterEnv({
    ...process.env,
    AGENTRY_CLUSTER_STATE_DIR:
      process.env.AGENTRY_CLUSTER_STATE_DIR ?? path.join(shared.binariesDir, "bench-state"),
  });
  const log = (line: string) => console.log(`[cluster] ${line}`);
  const { state } = await upPlane(env, { startedBy: "cli", log });
  const kubeconfig = state.kubeconfig;
  const api = KubeApi.fromFile(kubeconfig);
  const results = [];
  for (const n of sizes) {
    console.log(`\n== N = ${n}`);
    const floor = await runFloor(api, n);
    console.log(`floor: ${floor.toFixed(1)} s`);
    const run = await runOperator(api, kubeconfig, n);
    results.push({
      n,
      seconds: round(run.seconds),
      floorSeconds: round(floor),
      ratio: round(run.seconds / floor),
      writesPerAgent: round(run.writes / n),
      steadyStateWrites: run.steadyWrites,
      steadyStateSeconds: steadySeconds,
      peakRssMB: round(run.peakRssMB),
      workers: concurrency,
    });
    console.table(results);
  }
  api.close();
  await downPlane(env, log);
  const file = path.join(REPO_ROOT, "bench", "results", "operator.json");
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: "operator", date: new Date().toISOString(), results }, null, 2)}\n`,
  );
  console.log(`\n${renderTable(results)}\nwrote ${path.relative(REPO_ROOT, file)}`);
}

async function runFloor(api: KubeApi, n: number): Promise<number> {
  const ns = await freshNamespace(api, `bench-floor-${n}`);
  const started = performance.now();
  await pool(n, async (index) => {
    const name = `agent-${index}`;
    const labels = { app: name };
    await api.create(
      resourcePath("Deployment", { namespace: ns }),
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: "agent", image: IMAGE }] } },
        },
      },
      "bench",
    );
    await api.create(
      resourcePath("Service", { namespace: ns }),
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, labels },
        spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
      },
      "bench",
    );
  });
  await waitFor(
    `the floor's ${n} Deployments to be available`,
    async () => {
      const { items } = await api.list<{ status?: { availableReplicas?: number } }>(
        resourcePath("Deployment", { namespace: ns }),
      );
      return items.filter((item) => item.status?.availableReplicas === 1).length === n;
    },
    BENCH_TIMEOUT_MS,
    undefined,
    500,
  );
  const seconds = (performance.now() - started) / 1000;
  await deleteNamespace(api, ns);
  return seconds;
}

async function runOperator(api: KubeApi, kubeconfig: string, n: number) {
  const ns = await freshNamespace(api, `bench-operator-${n}`);
  const operator = await startOperator({
    kubeconfig,
    namespace: ns,
    identity: "bench",
    env: {
      AGENTRY_LEADER_ELECTION: "false",
      AGENTRY_WORKERS: String(concurrency),
      AGENTRY_LOG_LEVEL: "info",
      AGENTRY_RESYNC_SECONDS: String(Math.max(10, Math.min(60, Math.floor(steadySeconds / 3)))),
    },
  });
  const writes = () => operator.writes();
  try {
    const started = performance.now();
    await pool(n, (index) =>
      api.create(
        resourcePath("AgentDeployment", { namespace: ns }),
        {
          apiVersion: "agentry.dev/v1alpha1",
          kind: "AgentDeployment",
          metadata: { name: `agent-${index}` },
          spec: { image: IMAGE, agent: { model: "gpt-4o-mini" } },
        },
        "bench",
      ),
    );
    await waitFor(
      `${n} agents to be Ready`,
      async () => {
        const { items } = await api.list<{
          status?: { conditions?: Array<{ type: string; status: string }> };
        }>(resourcePath("AgentDeployment", { namespace: ns }));
        return (
          items.filter((item) =>
            item.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
          ).length === n
        );
      },
      BENCH_TIMEOUT_MS,
      undefined,
      500,
    );
    const seconds = (performance.now() - started) / 1000;
    // Let the last status writes and watch echoes land, then watch a quiet system.
    let settled = await writes();
    for (let quiet = 0; quiet < 3; ) {
      await sleep(2000);
      const now = await writes();
      quiet = now === settled ? quiet + 1 : 0;
      settled = now;
    }
    console.log(
      `operator: all ${n} Ready in ${seconds.toFixed(1)} s, ${settled} writes; steady state for ${steadySeconds} s ...`,
    );
    await sleep(steadySeconds * 1000);
    const steadyWrites = (await writes()) - settled;
    const peakRssMB = peakRss(operator.pid);
    return { seconds, writes: settled, steadyWrites, peakRssMB };
  } finally {
    await operator.stop();
    await deleteNamespace(api, ns);
  }
}

/** VmHWM: the process's peak resident set size. */
function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function freshNamespace(api: KubeApi, name: string): Promise<string> {
  await deleteNamespace(api, name);
  await api.create(
    resourcePath("Namespace"),
    { apiVersion: "v1", kind: "Namespace", metadata: { name } },
    "bench",
  );
  await waitFor(
    `the default ServiceAccount of ${name}`,
    async () =>
      (await api.get(resourcePath("ServiceAccount", { namespace: name, name: "default" }))) !== undefined,
    60_000,
    undefined,
    500,
  );
  return name;
}

async function deleteNamespace(api: KubeApi, name: string): Promise<void> {
  await api.delete(resourcePath("Namespace", { name }));
  await waitFor(
    `namespace ${name} to be gone`,
    async () => (await api.get(resourcePath("Namespace", { name }))) === undefined,
    300_000,
    undefined,
    500,
  );
}

async function pool(n: number, task: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function renderTable(rows: Array<Record<string, number>>): string {
  const columns = [
    "n",
    "seconds",
    "floorSeconds",
    "ratio",
    "writesPerAgent",
    "steadyStateWrites",
    "peakRssMB",
  ];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(columns),
    line(columns.map(() => "---")),
    ...rows.map((row) => line(columns.map((c) => String(row[c])))),
  ].join("\n");
}

await main();
