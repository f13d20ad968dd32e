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
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "../agent-runtime/testing/wait-for.ts";
import { KubeApi } from "../operator/kube/kube-api.ts";
import { resourcePath } from "../operator/kube/resources.ts";
import { loadClusterEnv, REPO_ROOT } from "../test/support/cluster-env.ts";
import { downPlane, upPlane } from "../test/support/cluster-plane.ts";
import { startOperator, totalWrites } from "../test/support/operator-process.ts";

const sizes = (process.env.BENCH_SIZES ?? "100,1000").split(",").map(Number);
const steadySeconds = Number(process.env.BENCH_STEADY_SECONDS ?? 300);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const IMAGE = "ghcr.io/agentry/agent-runtime:bench";
/** How long one wait of the benchmark may take before it fails. */
const BENCH_TIMEOUT_MS = Math.max(900_000, Math.max(...sizes) * 600);
/** How often the waits list every agent: a list of 10 000 agents is tens of MB, so less often there. */
const pollMs = (n: number) => Math.max(500, n / 2);
/**
 * What runs: `dist` (default) builds with `npm run build` and runs dist/operator/main.js, as the
 * image does; `source` runs operator/main.ts through Node's type stripping, which holds about
 * 30 MB more.
 */
const operatorSource = process.env.BENCH_OPERATOR ?? "dist";
const operatorEntry =
  operatorSource === "source" ? undefined : path.join(REPO_ROOT, "dist", "operator", "main.js");

async function main() {
  // A plane of its own, so tests or a `cluster:down` elsewhere cannot pull it away mid-run.
  const shared = loadClusterEnv();
  const env = loadClusterEnv({
    ...process.env,
    AGENTRY_CLUSTER_STATE_DIR:
      process.env.AGENTRY_CLUSTER_STATE_DIR ?? path.join(shared.binariesDir, "bench-state"),
  });
  if (operatorEntry) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
  const log = (line: string) => console.log(`[cluster] ${line}`);
  const { state } = await upPlane(env, { startedBy: "cli", log });
  const kubeconfig = state.kubeconfig;
  const api = KubeApi.fromFile(kubeconfig);
  const results = [];
  for (const n of sizes) {
    console.log(`\n== N = ${n}`);
    const floor = process.env.BENCH_FLOOR === "0" ? Number.NaN : await runFloor(api, n);
    console.log(`floor: ${floor.toFixed(1)} s`);
    const run = await runOperator(api, kubeconfig, n);
    results.push({
      n,
      seconds: round(run.seconds),
      floorSeconds: round(floor),
      ratio: round(run.seconds / floor),
      writesPerAgent: round(run.writes / n),
      steadyStateWrites: run.steadyWrites,
      steadyStateWritesByTarget: run.steadyWritesByTarget,
      steadyStateLog: run.steadyStateLog,
      steadyStateSeconds: steadySeconds,
      peakRssMB: round(run.peakRssMB),
      cpuSeconds: round(run.cpuSeconds),
      workers: concurrency,
      operator: operatorSource,
      controllerQps: env.controllerQps ?? "default",
    });
    console.table(results.map(({ steadyStateLog: _log, ...row }) => row));
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
    retryingCheck(async () => {
      const { items } = await api.list<{ status?: { availableReplicas?: number } }>(
        resourcePath("Deployment", { namespace: ns }),
      );
      return items.filter((item) => item.status?.availableReplicas === 1).length === n;
    }),
    BENCH_TIMEOUT_MS,
    undefined,
    pollMs(n),
  );
  const seconds = (performance.now() - started) / 1000;
  await deleteNamespace(api, ns);
  return seconds;
}

async function runOperator(api: KubeApi, kubeconfig: string, n: number) {
  const ns = await freshNamespace(api, `bench-operator-${n}`);
  const operator = await startOperator({
    entry: operatorEntry,
    ...(process.env.BENCH_NODE_FLAGS ? { nodeFlags: process.env.BENCH_NODE_FLAGS.split(" ") } : {}),
    kubeconfig,
    namespace: ns,
    identity: "bench",
    env: {
      AGENTRY_LEADER_ELECTION: "false",
      AGENTRY_WORKERS: String(concurrency),
      AGENTRY_LOG_LEVEL: "info",
      AGENTRY_RESYNC_SECONDS: String(Math.max(10, Math.min(60, Math.floor(steadySeconds / 3)))),
      ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
    },
  });
  // One scrape of the operator's /metrics went unanswered once at 10 000 agents: ask again.
  /** The operator's writes so far, by "verb resource" (e.g. "apply agentdeployments/status"). */
  const writeCounts = async (): Promise<Map<string, number>> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operator.writesByTarget();
      } catch (error) {
        if (attempt >= 5) throw error;
        console.log(`reading the operator's write count failed, trying again: ${(error as Error).message}`);
      }
    }
  };
  const writes = async () => totalWrites(await writeCounts());
  const trace = process.env.BENCH_MEMORY_TRACE ? traceMemory(operator.port, operator.pid) : undefined;
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
      retryingCheck(async () => {
        const { items } = await api.list<{
          status?: { conditions?: Array<{ type: string; status: string }> };
        }>(resourcePath("AgentDeployment", { namespace: ns }));
        return (
          items.filter((item) =>
            item.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
          ).length === n
        );
      }),
      BENCH_TIMEOUT_MS,
      undefined,
      pollMs(n),
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
    const before = await writeCounts();
    const logsBefore = operator.logs.length;
    await sleep(steadySeconds * 1000);
    const after = await writeCounts();
    // What the operator said meanwhile (at info level: repairs, warnings), to explain any write.
    const steadyStateLog = operator.logs.slice(logsBefore, logsBefore + 40);
    // Which objects the steady-state writes went to, so a count above 0 can be explained.
    const steadyWritesByTarget = Object.fromEntries(
      [...after]
        .map(([target, count]) => [target, count - (before.get(target) ?? 0)])
        .filter(([, count]) => count !== 0),
    );
    const steadyWrites = totalWrites(after) - totalWrites(before);
    if (steadyWrites > 0) {
      console.log("steady-state writes by verb and resource:", steadyWritesByTarget);
      console.log(`operator log during the steady state:\n${steadyStateLog.join("\n")}`);
    }
    const peakRssMB = peakRss(operator.pid);
    return {
      seconds,
      writes: settled,
      steadyWrites,
      steadyWritesByTarget,
      steadyStateLog: steadyWrites > 0 ? steadyStateLog : [],
      peakRssMB,
      cpuSeconds: cpuSeconds(operator.pid),
    };
  } finally {
    trace?.stop(path.join(REPO_ROOT, "bench", "results", `operator-memory-${n}.csv`));
    await operator.stop();
    await deleteNamespace(api, ns);
  }
}

/**
 * BENCH_MEMORY_TRACE=1: every second, the operator's RSS and V8 heap (from its /metrics), written
 * as CSV when the run ends, to see which part of the memory makes the peak.
 */
function traceMemory(port: number, pid: number) {
  const rows = ["seconds,rssMB,heapTotalMB,heapUsedMB,externalMB"];
  const started = performance.now();
  const timer = setInterval(async () => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const metric = (name: string) =>
        Number(new RegExp(`^agentry_operator_${name} (\\S+)`, "m").exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
      const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;
      rows.push(
        [
          (performance.now() - started) / 1000,
          rss,
          metric("nodejs_heap_size_total_bytes"),
          metric("nodejs_heap_size_used_bytes"),
          metric("nodejs_external_memory_bytes"),
        ]
          .map((value) => value.toFixed(1))
          .join(","),
      );
    } catch {
      // The operator is stopping; the trace ends with it.
    }
  }, 1000);
  return {
    stop(file: string) {
      clearInterval(timer);
      writeFileSync(file, `${rows.join("\n")}\n`);
      console.log(`memory trace: ${path.relative(REPO_ROOT, file)}`);
    },
  };
}

/**
 * A wait's check lists thousands of objects from a loaded plane; one failed list (a timeout) must
 * not end a run of half an hour: it is logged and the wait goes on.
 */
function retryingCheck(check: () => Promise<boolean>): () => Promise<boolean> {
  return async () => {
    try {
      return await check();
    } catch (error) {
      console.log(`check failed, trying again: ${(error as Error).message}`);
      return false;
    }
  };
}

/** User and system CPU the process has used, from /proc (clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  return (Number(fields[11]) + Number(fields[12])) / 100;
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
    BENCH_TIMEOUT_MS,
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

function renderTable(rows: Array<Record<string, unknown>>): string {
  const columns = [
    "n",
    "seconds",
    "floorSeconds",
    "ratio",
    "writesPerAgent",
    "steadyStateWrites",
    "peakRssMB",
    "cpuSeconds",
    "operator",
  ];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(columns),
    line(columns.map(() => "---")),
    ...rows.map((row) => line(columns.map((c) => String(row[c])))),
  ].join("\n");
}

await main();
