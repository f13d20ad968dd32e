/**
 * `npm run bench:soak`: N agents (1000) and, for an hour, one rollout (an image change, the
 * default RollingUpdate) started every 10 s, agent after agent, each driven to completion by the
 * operator, which is restarted in the middle. Every minute the operator's RSS and heap right after
 * a full GC; the slope of both after the first 10 minutes; the time from each spec change to a
 * Healthy status of that generation; errors.
 *
 *   BENCH_SOAK_AGENTS=1000 BENCH_SOAK_MINUTES=60 BENCH_SOAK_INTERVAL_SECONDS=10 npm run bench:soak
 *
 * Prints a table and writes bench/results/soak.json (its parameters included).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Informer } from "../operator/kube/informer.ts";
import type { KubeObject } from "../operator/kube/objects.ts";
import { resourcePath } from "../operator/kube/resources.ts";
import { OPERATOR_NODE_FLAGS } from "../operator/node-flags.ts";
import { agentName, BENCH_IMAGE, createAgents, waitAgentsReady } from "../test/support/bench-agents.ts";
import { deleteNamespace, freshNamespace } from "../test/support/bench-namespace.ts";
import { startBenchPlane } from "../test/support/bench-plane.ts";
import { REPO_ROOT } from "../test/support/cluster-env.ts";
import { leastSquaresSlope } from "../test/support/least-squares-slope.ts";
import { markdownTable, round } from "../test/support/markdown-table.ts";
import { INSPECTOR_FLAG, inspectorUrl, memoryAfterFullGc } from "../test/support/operator-inspector.ts";
import { totalWrites, withoutLease, writesSince } from "../test/support/operator-process.ts";
import { percentile } from "../test/support/percentile.ts";
import { RestartableOperator } from "../test/support/restartable-operator.ts";
import { type ObservedAgent, RolloutClock, type RolloutEnd } from "../test/support/rollout-clock.ts";
import { waitFor } from "../test/support/wait-for.ts";

const env = process.env;
const agents = Number(env.BENCH_SOAK_AGENTS ?? 1000);
const minutes = Number(env.BENCH_SOAK_MINUTES ?? 60);
const intervalSeconds = Number(env.BENCH_SOAK_INTERVAL_SECONDS ?? 10);
/** The minute after whose sample the operator restarts; `none`: no restart. */
const restartMinute =
  env.BENCH_SOAK_RESTART_MINUTE === "none"
    ? undefined
    : Number(env.BENCH_SOAK_RESTART_MINUTE ?? Math.floor(minutes / 2));
/** Samples before this minute are the warm-up, left out of the slopes. */
const warmupMinutes = Number(env.BENCH_SOAK_WARMUP_MINUTES ?? 10);
/** A rollout not Healthy this long after its spec change counts as an error. */
const convergeTimeoutMs = Number(env.BENCH_SOAK_CONVERGE_TIMEOUT_SECONDS ?? 300) * 1000;
const concurrency = Number(env.BENCH_CONCURRENCY ?? 32);
const BENCH_TIMEOUT_MS = Math.max(900_000, agents * 600);

interface Sample {
  minute: number;
  /** Which operator process: 0 before the restart, 1 after. */
  process: number;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
}

async function main() {
  const plane = await startBenchPlane();
  const { api } = plane;
  const ns = await freshNamespace(api, "bench-soak", BENCH_TIMEOUT_MS);
  const operator = await RestartableOperator.start((generation) => ({
    entry: plane.operatorEntry,
    nodeFlags: [...OPERATOR_NODE_FLAGS, INSPECTOR_FLAG],
    kubeconfig: plane.kubeconfig,
    namespace: ns,
    identity: `soak-${generation}`,
    env: { AGENTRY_LEADER_ELECTION: "true", AGENTRY_WORKERS: String(concurrency), AGENTRY_LOG_LEVEL: "info" },
  }));
  console.log(`creating ${agents} agents ...`);
  await createAgents(api, ns, agents, concurrency);
  await waitAgentsReady(api, ns, agents, BENCH_TIMEOUT_MS);
  await operator.settle();
  const writesBefore = await operator.writesByTarget();

  const clock = new RolloutClock();
  const ends: RolloutEnd[] = [];
  const record = (ended: RolloutEnd[]) => {
    for (const end of ended) {
      ends.push(end);
      if (end.outcome !== "Healthy")
        console.log(`rollout of ${end.name}: ${end.outcome} after ${end.seconds} s`);
    }
  };
  // The operator's own informer: it relists and reopens its watch, so no event goes unseen.
  const watched = new Informer<KubeObject & ObservedAgent>({
    api,
    path: resourcePath("AgentDeployment", { namespace: ns }),
    transform: (object) => {
      const { metadata, status } = object as KubeObject & ObservedAgent;
      return {
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: {
          name: metadata.name,
          namespace: metadata.namespace,
          resourceVersion: metadata.resourceVersion,
        },
        status: { observedGeneration: status?.observedGeneration, phase: status?.phase },
      } as KubeObject & ObservedAgent;
    },
    onEvent: (_type, object) => record(clock.observe(object, performance.now())),
  });
  await watched.start();

  const errors = { patchFailures: 0, memorySampleFailures: 0 };
  const samples: Sample[] = [];
  let rollouts = 0;
  let restartToLeaderSeconds: number | null = null;
  const started = performance.now();
  const until = (seconds: number) => sleep(Math.max(0, started + seconds * 1000 - performance.now()));

  const rolloutLoop = async () => {
    for (let k = 0; k * intervalSeconds < minutes * 60; k++) {
      await until(k * intervalSeconds);
      const name = agentName(k % agents);
      const changedAt = performance.now();
      try {
        const patched = await api.mergePatch<{ metadata: { generation: number } }>(
          resourcePath("AgentDeployment", { namespace: ns, name }),
          { spec: { image: `${BENCH_IMAGE}-soak-${k}` } },
          "bench",
        );
        rollouts++;
        record(clock.begin(name, patched.metadata.generation, changedAt));
        // The Healthy event may have come before the patch's answer.
        record(clock.observe(watched.get(ns, name), performance.now()));
      } catch (error) {
        errors.patchFailures++;
        console.log(`patching ${name} failed: ${(error as Error).message}`);
      }
      record(clock.expire(performance.now(), convergeTimeoutMs));
    }
  };

  const sampleLoop = async () => {
    for (let minute = 0; minute <= minutes; minute++) {
      await until(minute * 60);
      const url = inspectorUrl(operator.current.logs);
      try {
        if (!url) throw new Error("the operator printed no inspector address");
        const reading = await memoryAfterFullGc(url);
        samples.push({ minute, process: operator.generation, ...reading });
        const done = ends.filter((end) => end.outcome === "Healthy").length;
        console.log(
          `minute ${minute}: rss ${reading.rssMB.toFixed(1)} MB, heap ${reading.heapUsedMB.toFixed(1)} MB after GC; ${rollouts} rollouts started, ${done} Healthy, ${clock.inFlight} in flight`,
        );
      } catch (error) {
        errors.memorySampleFailures++;
        console.log(`memory sample of minute ${minute} failed: ${(error as Error).message}`);
      }
      if (minute === restartMinute && minute < minutes) {
        console.log(`restarting the operator after minute ${minute}`);
        restartToLeaderSeconds = round(await operator.restart());
      }
    }
  };

  await Promise.all([rolloutLoop(), sampleLoop()]);
  // The last rollouts started before the end: let them finish, within the same deadline.
  await waitFor(
    "the last rollouts to finish",
    () => clock.inFlight === 0,
    convergeTimeoutMs,
    undefined,
    500,
  ).catch(() => {});
  record(clock.expire(performance.now(), 0));
  await watched.stop();

  // A rollout of one agent takes a few writes; more per rollout is work on agents nobody changed.
  const writes = writesSince(await operator.writesByTarget(), writesBefore);
  const peakRssMB = operator.peakRssMB();
  const cpuSeconds = operator.cpuSeconds();
  const logs = operator.logs();
  await operator.stop();
  await deleteNamespace(api, ns, BENCH_TIMEOUT_MS);
  await plane.down();

  const outcomes = (outcome: RolloutEnd["outcome"]) => ends.filter((end) => end.outcome === outcome);
  const converged = outcomes("Healthy")
    .map((end) => end.seconds)
    .sort((a, b) => a - b);
  const errorsByKind = {
    ...errors,
    degraded: outcomes("Degraded").length,
    timedOut: outcomes("TimedOut").length,
    superseded: outcomes("Superseded").length,
    reconcileFailures: logs.filter((line) => line.includes("reconcile failed")).length,
    operatorErrorLogs: logs.filter((line) => /"level":(50|60)/.test(line)).length,
    unexpectedOperatorExits: operator.unexpectedExits,
  };
  const steady = samples.filter((sample) => sample.minute >= warmupMinutes);
  const slope = (field: "rssMB" | "heapUsedMB") =>
    round(leastSquaresSlope(steady.map((s) => ({ x: s.minute / 60, y: s[field], segment: s.process }))));
  const full = agents === 1000 && minutes === 60 && intervalSeconds === 10;
  const result = {
    benchmark: "soak",
    date: new Date().toISOString(),
    parameters: {
      agents,
      minutes,
      intervalSeconds,
      restartMinute: restartMinute ?? null,
      warmupMinutes,
      convergeTimeoutSeconds: convergeTimeoutMs / 1000,
      workers: concurrency,
      operator: plane.operatorSource,
      full,
    },
    ...(full
      ? {}
      : {
          note: "shorter than the full soak (1000 agents, 60 minutes, 10 s): validates the benchmark, not its targets",
        }),
    rssSlopeMBPerHour: slope("rssMB"),
    heapSlopeMBPerHour: slope("heapUsedMB"),
    peakRssMB: round(peakRssMB),
    p99ConvergeSeconds: round(percentile(converged, 99)),
    p50ConvergeSeconds: round(percentile(converged, 50)),
    errors: Object.values(errorsByKind).reduce((total, count) => total + count, 0),
    errorsByKind,
    rollouts,
    writesPerRollout: round(totalWrites(withoutLease(writes)) / rollouts),
    writesByTarget: Object.fromEntries(writes),
    healthy: converged.length,
    restartToLeaderSeconds,
    cpuSeconds: round(cpuSeconds),
    samples: samples.map((s) => ({
      ...s,
      rssMB: round(s.rssMB),
      heapUsedMB: round(s.heapUsedMB),
      heapTotalMB: round(s.heapTotalMB),
      externalMB: round(s.externalMB),
    })),
  };
  const file = path.join(REPO_ROOT, "bench", "results", "soak.json");
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `\n${markdownTable(result.samples, ["minute", "process", "rssMB", "heapUsedMB", "heapTotalMB"])}`,
  );
  const summary = [
    "agents",
    "minutes",
    "rollouts",
    "healthy",
    "writesPerRollout",
    "rssSlopeMBPerHour",
    "heapSlopeMBPerHour",
    "peakRssMB",
    "p99ConvergeSeconds",
    "errors",
  ];
  console.log(`\n${markdownTable([{ ...result, ...result.parameters }], summary)}`);
  if (result.errors > 0) console.log("errors by kind:", errorsByKind);
  console.log(`wrote ${path.relative(REPO_ROOT, file)}`);
}

await main();
