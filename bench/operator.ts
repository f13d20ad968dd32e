/**
 * `npm run bench:operator`: applies N AgentDeployments at once to the local control plane and
 * measures how long until all are Ready, against a floor: a plain script creating the same
 * child objects (a Deployment and a Service per agent) with the same client and concurrency and no
 * operator. Also: API writes per agent; writes during a steady-state window longer than the
 * operator's resync and relist periods, with an operator restart inside it; operator peak RSS.
 *
 *   BENCH_SIZES=100,1000 BENCH_STEADY_SECONDS=1500 BENCH_RESTART_SECONDS=750 npm run bench:operator
 *
 * Prints a table and writes bench/results/operator.json.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeApi } from "../operator/kube/kube-api.ts";
import { resourcePath } from "../operator/kube/resources.ts";
import { BENCH_IMAGE, createAgents, pollMs, waitAgentsReady } from "../test/support/bench-agents.ts";
import { deleteNamespace, freshNamespace } from "../test/support/bench-namespace.ts";
import { type BenchPlane, startBenchPlane } from "../test/support/bench-plane.ts";
import { REPO_ROOT } from "../test/support/cluster-env.ts";
import { markdownTable, round } from "../test/support/markdown-table.ts";
import { totalWrites, withoutLease, writesSince } from "../test/support/operator-process.ts";
import { rssMB } from "../test/support/process-usage.ts";
import { RestartableOperator } from "../test/support/restartable-operator.ts";
import { retryingCheck } from "../test/support/retrying-check.ts";
import { waitFor } from "../test/support/wait-for.ts";
import { pool } from "../test/support/worker-pool.ts";

const sizes = (process.env.BENCH_SIZES ?? "100,1000").split(",").map(Number);
/**
 * The steady-state window: 25 minutes by default, longer than the operator's resync and its
 * informers' relist (10 minutes each at their defaults), so every agent is reconciled again and
 * every cache relisted inside it, by both processes.
 */
const steadySeconds = Number(process.env.BENCH_STEADY_SECONDS ?? 1500);
/** Seconds into the window at which the operator restarts (SIGTERM, a new process); `none`: no restart. */
const restartAt =
  process.env.BENCH_RESTART_SECONDS === "none"
    ? undefined
    : Number(process.env.BENCH_RESTART_SECONDS ?? Math.floor(steadySeconds / 2));
/** The operator's AGENTRY_RESYNC_SECONDS: its default unless BENCH_RESYNC_SECONDS is set. */
const resyncSeconds = process.env.BENCH_RESYNC_SECONDS;
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
/** How long one wait of the benchmark may take before it fails. */
const BENCH_TIMEOUT_MS = Math.max(900_000, Math.max(...sizes) * 600);

async function main() {
  const plane = await startBenchPlane();
  const results = [];
  for (const n of sizes) {
    console.log(`\n== N = ${n}`);
    const floor = process.env.BENCH_FLOOR === "0" ? Number.NaN : await runFloor(plane.api, n);
    console.log(`floor: ${floor.toFixed(1)} s`);
    const run = await runOperator(plane, n);
    results.push({
      n,
      seconds: round(run.seconds),
      floorSeconds: round(floor),
      ratio: round(run.seconds / floor),
      writesPerAgent: round(run.writes / n),
      steadyStateWrites: run.steadyWrites,
      steadyStateLeaseWrites: run.steadyLeaseWrites,
      steadyStateWritesByTarget: run.steadyWritesByTarget,
      steadyStateLog: run.steadyStateLog,
      steadyStateSeconds: steadySeconds,
      restartAtSeconds: restartAt ?? null,
      restartToLeaderSeconds: run.restartToLeaderSeconds,
      resyncSeconds: resyncSeconds === undefined ? "default" : Number(resyncSeconds),
      peakRssMB: round(run.peakRssMB),
      cpuSeconds: round(run.cpuSeconds),
      workers: concurrency,
      operator: plane.operatorSource,
      controllerQps: plane.env.controllerQps ?? "default",
    });
    console.table(
      results.map(({ steadyStateLog: _log, steadyStateWritesByTarget: _targets, ...row }) => row),
    );
  }
  await plane.down();
  const file = path.join(REPO_ROOT, "bench", "results", "operator.json");
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: "operator", date: new Date().toISOString(), results }, null, 2)}\n`,
  );
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
  console.log(`\n${markdownTable(results, columns)}\nwrote ${path.relative(REPO_ROOT, file)}`);
}

async function runFloor(api: KubeApi, n: number): Promise<number> {
  const ns = await freshNamespace(api, `bench-floor-${n}`, BENCH_TIMEOUT_MS);
  const started = performance.now();
  await pool(n, concurrency, async (index) => {
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
          template: { metadata: { labels }, spec: { containers: [{ name: "agent", image: BENCH_IMAGE }] } },
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
  await deleteNamespace(api, ns, BENCH_TIMEOUT_MS);
  return seconds;
}

async function runOperator(plane: BenchPlane, n: number) {
  const { api } = plane;
  const ns = await freshNamespace(api, `bench-operator-${n}`, BENCH_TIMEOUT_MS);
  // Leader election on, as a chart install runs it: the restart hands the Lease over.
  const operator = await RestartableOperator.start((generation) => ({
    entry: plane.operatorEntry,
    ...(process.env.BENCH_NODE_FLAGS ? { nodeFlags: process.env.BENCH_NODE_FLAGS.split(" ") } : {}),
    kubeconfig: plane.kubeconfig,
    namespace: ns,
    identity: `bench-${generation}`,
    env: {
      AGENTRY_LEADER_ELECTION: "true",
      AGENTRY_WORKERS: String(concurrency),
      AGENTRY_LOG_LEVEL: "info",
      ...(resyncSeconds ? { AGENTRY_RESYNC_SECONDS: resyncSeconds } : {}),
      ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
    },
  }));
  const trace = process.env.BENCH_MEMORY_TRACE ? traceMemory(operator) : undefined;
  try {
    const started = performance.now();
    await createAgents(api, ns, n, concurrency);
    await waitAgentsReady(api, ns, n, BENCH_TIMEOUT_MS);
    const seconds = (performance.now() - started) / 1000;
    // Let the last status writes and watch echoes land, then watch a quiet system.
    const settled = await operator.settle();
    console.log(
      `operator: all ${n} Ready in ${seconds.toFixed(1)} s, ${settled} writes besides the Lease; steady state for ${steadySeconds} s${restartAt === undefined ? "" : `, restart at ${restartAt} s`} ...`,
    );
    const window = await steadyWindow(operator);
    return {
      seconds,
      writes: settled,
      ...window,
      peakRssMB: operator.peakRssMB(),
      cpuSeconds: operator.cpuSeconds(),
    };
  } finally {
    trace?.stop(path.join(REPO_ROOT, "bench", "results", `operator-memory-${n}.csv`));
    await operator.stop();
    await deleteNamespace(api, ns, BENCH_TIMEOUT_MS);
  }
}

/** The steady-state window: writes by verb and resource, the Lease's apart, across the restart. */
async function steadyWindow(operator: RestartableOperator) {
  const before = await operator.writesByTarget();
  const logsBefore = operator.logs().length;
  const started = performance.now();
  const until = (second: number) => sleep(Math.max(0, started + second * 1000 - performance.now()));
  let restartToLeaderSeconds: number | null = null;
  if (restartAt !== undefined && restartAt < steadySeconds) {
    await until(restartAt);
    console.log(`restarting the operator ${restartAt} s into the steady state`);
    restartToLeaderSeconds = round(await operator.restart());
  }
  await until(steadySeconds);
  const window = writesSince(await operator.writesByTarget(), before);
  const steadyWrites = totalWrites(withoutLease(window));
  // What the operators said meanwhile (at info level: repairs, warnings), to explain any write.
  const steadyStateLog = operator.logs().slice(logsBefore, logsBefore + 40);
  // Which objects the steady-state writes went to, so a count above 0 can be explained.
  const steadyWritesByTarget = Object.fromEntries(window);
  console.log("steady-state writes by verb and resource:", steadyWritesByTarget);
  if (steadyWrites > 0) console.log(`operator log during the steady state:\n${steadyStateLog.join("\n")}`);
  return {
    steadyWrites,
    steadyLeaseWrites: totalWrites(window) - steadyWrites,
    steadyWritesByTarget,
    steadyStateLog: steadyWrites > 0 ? steadyStateLog : [],
    restartToLeaderSeconds,
  };
}

/**
 * BENCH_MEMORY_TRACE=1: every second, the operator's RSS and V8 heap (from its /metrics), written
 * as CSV when the run ends, to see which part of the memory makes the peak.
 */
function traceMemory(operator: RestartableOperator) {
  const rows = ["seconds,rssMB,heapTotalMB,heapUsedMB,externalMB"];
  const started = performance.now();
  const timer = setInterval(async () => {
    try {
      const { port, pid } = operator.current;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const metric = (name: string) =>
        Number(new RegExp(`^agentry_operator_${name} (\\S+)`, "m").exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
      rows.push(
        [
          (performance.now() - started) / 1000,
          rssMB(pid),
          metric("nodejs_heap_size_total_bytes"),
          metric("nodejs_heap_size_used_bytes"),
          metric("nodejs_external_memory_bytes"),
        ]
          .map((value) => value.toFixed(1))
          .join(","),
      );
    } catch {
      // The operator is stopping or restarting; the trace goes on with the next one.
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

await main();
