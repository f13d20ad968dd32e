/**
 * npm run bench:runtime          (BENCH_LITELLM=1 npm run bench:runtime adds LiteLLM's proxy)
 *
 * Measures what the agent runtime adds on top of the model call. Everything runs on loopback:
 * redis-server, the stub model endpoint (answering instantly) and the runtime are separate
 * processes; the load generator runs here. Measured in the same run, on the same stub: the floor,
 * a minimal node:http pass-through proxy (for information, no target), and with BENCH_LITELLM=1
 * LiteLLM's proxy with one worker (bench/litellm-proxy.ts), the peer users would pick instead.
 *
 * The floor carries the same model request the runtime sends (system prompt, the session's 50
 * history messages, the new message), so both make the same model call and the difference is
 * what the runtime adds: Redis memory, auth and limits, validation, logs and metrics.
 *
 * Phases, each bounded in count and time:
 *   0. warm-up: every session filled to its 50 history messages, then both targets warmed
 *   1. throughput: closed loop, CONCURRENCY requests in flight, ROUNDS rounds of
 *      THROUGHPUT_SECONDS alternating floor, runtime (and LiteLLM) (the medians are reported, so
 *      a slow moment of the shared machine does not decide the ratio); CPU per request of every
 *      process (a process's children included) over all rounds
 *   1b. lone requests: one request at a time to each target for LONE_SECONDS (what a single
 *      caller waits; LiteLLM cannot sustain RATE, so this is where its latency is compared)
 *   2. latency: LATENCY_ROUNDS rounds of an open loop at RATE requests/s to each target for
 *      LATENCY_SECONDS (the round with the median added p99 is reported), the floor's and
 *      the runtime's requests sent at the same scheduled instants, so a stall of the machine hits
 *      both; latency counted from the scheduled send time (no coordinated omission)
 * The runtime serves POST /v1/chat with a sessionId (Redis memory on: load history, save the turn,
 * trim, refresh TTL), info-level logs to /dev/null, metrics on.
 *
 * The runtime runs as its image runs it: compiled to JavaScript by `npm run build` (done first).
 *
 * Prints a table and writes bench/results/runtime.json.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { RUNTIME_NODE_FLAGS } from "../agent-runtime/node-flags.ts";
import { type RuntimeProcess, startRuntimeProcess } from "../agent-runtime/testing/runtime-process.ts";
import { percentile } from "../test/support/percentile.ts";
import { type RedisServerHandle, startRedisServer } from "../test/support/redis-server.ts";
import { ensureLiteLlm, type LiteLlmProxy, startLiteLlmProxy } from "./litellm-proxy.ts";

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const THROUGHPUT_SECONDS = Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 500);
/** The image's V8 flags unless BENCH_RUNTIME_NODE_ARGS names others ("" for none). */
const runtimeNodeArgs: string[] =
  process.env.BENCH_RUNTIME_NODE_ARGS === undefined
    ? [...RUNTIME_NODE_FLAGS]
    : process.env.BENCH_RUNTIME_NODE_ARGS.split(" ").filter(Boolean);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 6);
const LATENCY_ROUNDS = Number(process.env.BENCH_LATENCY_ROUNDS ?? 5);
const LONE_SECONDS = Number(process.env.BENCH_LONE_SECONDS ?? 3);
const WITH_LITELLM = process.env.BENCH_LITELLM === "1";
const WARMUP_SECONDS = 1.5;
const SESSIONS = 200;
/** The runtime's default AGENTRY_MEMORY_MAX_HISTORY_MESSAGES. */
const HISTORY_MESSAGES = 50;
const MAX_REQUESTS_PER_PHASE = 200_000;
const RESULTS = fileURLToPath(new URL("./results/runtime.json", import.meta.url));
const STUB_CLI = fileURLToPath(new URL("../agent-runtime/testing/stub-model-cli.ts", import.meta.url));

const FLOOR_PROXY = `
const http = require("node:http");
const [upstreamPort] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer((req, res) => {
  const upstream = http.request(
    { host: "127.0.0.1", port: upstreamPort, path: "/v1/chat/completions", method: "POST", agent,
      headers: { "content-type": "application/json", "content-length": req.headers["content-length"] } },
    (answer) => {
      res.writeHead(answer.statusCode, { "content-type": answer.headers["content-type"] });
      answer.pipe(res);
    },
  );
  upstream.on("error", () => { res.statusCode = 502; res.end(); });
  req.pipe(upstream);
});
server.keepAliveTimeout = 65000;
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
process.on("SIGTERM", () => process.exit(0));
`;

type Target = {
  name: string;
  port: number;
  path: string;
  body: (i: number) => string;
  headers?: Record<string, string>;
};
type PhaseResult = {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
};

function firstJsonLine(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`process exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (line) =>
      resolve(JSON.parse(line)),
    );
  });
}

function rssMB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : Number.NaN;
}

/** `/proc/PID/stat` fields after the command name (field 3 onwards). */
function statFields(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  } catch {
    return [];
  }
}

/**
 * CPU time (user + system) a process and its live descendants have used, in ms, plus what its
 * reaped children used; clock ticks are 10 ms on Linux. Descendants count because a Python server
 * may serve from a child process.
 */
function cpuMs(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    const parent = Number(statFields(child)[1]);
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  let total = 0;
  const visit = (id: number) => {
    const fields = statFields(id);
    total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10 || 0;
    for (const child of children.get(id) ?? []) visit(child);
  };
  visit(pid);
  return total;
}

function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  const usage = process.cpuUsage();
  const snapshot: Record<string, number> = { loadGenerator: (usage.user + usage.system) / 1000 };
  for (const [name, pid] of Object.entries(pids)) snapshot[name] = pid ? cpuMs(pid) : Number.NaN;
  return snapshot;
}

/** CPU ms per request of each process, from the CPU ms each used over `requests` requests. */
function cpuPerRequest(cpuMsUsed: Record<string, number>, requests: number): Record<string, number> {
  const perRequest: Record<string, number> = {};
  for (const [name, value] of Object.entries(cpuMsUsed)) {
    perRequest[name] = Math.round((value / requests) * 1000) / 1000;
  }
  return perRequest;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

/**
 * CPU placement. The runtime gets the last CPU to itself; the load generator, the stub model,
 * Redis and the peers it is compared with (floor, LiteLLM) share the others, as clients and
 * backends would live on other machines in production. Without it, on a small machine the runtime
 * competes for CPU with the processes that load it and with the floor measured at the same
 * instants, and its own overhead histogram would count their CPU as its queueing. CPU per request
 * is CPU time, so placement does not change it for any process. BENCH_PIN=0 turns it off.
 *
 * Redis goes with the clients by default. BENCH_REDIS_CPU=service puts it on the runtime's CPU
 * instead: in production Redis runs on a machine of its own, and the runtime waits for it twice
 * per turn; on the clients' CPU, busy with the load generator and the stub, Redis often waits
 * for a time slice before it answers, and that wait lands in the runtime's overhead histogram.
 * On the runtime's CPU (idle most of the time at RATE) it answers at once, at the cost of its
 * own small CPU share there.
 */
const REDIS_CPU = process.env.BENCH_REDIS_CPU === "service" ? "service" : "clients";
function cpuPlacement(): { service: string; clients: string } | undefined {
  const count = cpus().length;
  if (process.env.BENCH_PIN === "0" || count < 2) return undefined;
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  return { service: String(count - 1), clients: count === 2 ? "0" : `0-${count - 2}` };
}

/** Pins every thread of a running process to the CPU list. */
function pin(pid: number | undefined, cpuList: string): void {
  if (pid) execFileSync("taskset", ["-a", "-c", "-p", cpuList, String(pid)], { stdio: "ignore" });
}

function send(target: Target, i: number): Promise<boolean> {
  const body = target.body(i);
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: target.port,
        path: target.path,
        method: "POST",
        agent,
        headers: {
          ...target.headers,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode === 200));
      },
    );
    req.once("error", () => resolve(false));
    req.end(body);
  });
}

/**
 * One scrape of the runtime's /metrics: where its own time went (event-loop stalls, GC, heap) and
 * the overhead histogram's buckets. Each scrape also resets the event-loop delay histogram.
 */
async function runtimeMetrics(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return { diagnostics: diagnosticsOf(text), overhead: overheadBucketsOf(text) };
}

function diagnosticsOf(text: string) {
  const sample = (prefix: string, label = "") => {
    const line = text
      .split("\n")
      .find((candidate) => candidate.startsWith(prefix) && candidate.includes(label));
    return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
  };
  const ms = (seconds: number) => Math.round(seconds * 100_000) / 100;
  return {
    eventLoopDelayP99Ms: ms(sample("nodejs_eventloop_lag_p99_seconds")),
    eventLoopDelayMaxMs: ms(sample("nodejs_eventloop_lag_max_seconds")),
    majorGcCount: sample("nodejs_gc_duration_seconds_count{", 'kind="major"'),
    majorGcTotalMs: ms(sample("nodejs_gc_duration_seconds_sum{", 'kind="major"')),
    minorGcCount: sample("nodejs_gc_duration_seconds_count{", 'kind="minor"'),
    minorGcTotalMs: ms(sample("nodejs_gc_duration_seconds_sum{", 'kind="minor"')),
    heapUsedMB: Math.round(sample("nodejs_heap_size_used_bytes") / 1e5) / 10,
    heapTotalMB: Math.round(sample("nodejs_heap_size_total_bytes") / 1e5) / 10,
  };
}

/** Cumulative counts of agentry_request_overhead_seconds for /v1/chat, by bucket bound (s). */
function overheadBucketsOf(text: string): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("agentry_request_overhead_seconds_bucket{") || !line.includes('route="/v1/chat"'))
      continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le)
      buckets.set(
        le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le),
        Number(line.slice(line.lastIndexOf(" ") + 1)),
      );
  }
  return buckets;
}

/**
 * What the runtime itself added during a phase, from its own histogram: p50 and p99 estimated as
 * Prometheus' histogram_quantile does (linear within the bucket), the bucket bounds under which
 * half and 99% of the requests certainly fell (what the targets are judged on: 1 ms and 5 ms are
 * bucket bounds, so "at most" is exact there), and the shares within 1 and 5 ms.
 *
 * Worked example: 1000 requests, 400 under 0.5 ms and 900 under 1 ms; p50 is the 500th, 100 of
 * the 500 in (0.5, 1] ms, so 0.5 + 0.5 * 100/500 = 0.6 ms, and it is at most 1 ms.
 */
function overheadDuring(before: Map<number, number>, after: Map<number, number>) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((bound) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0));
  const total = counts.at(-1) ?? 0;
  const upTo = (share: number) => {
    const index = counts.findIndex((count) => count >= share * total);
    const bound = bounds[index] ?? Number.POSITIVE_INFINITY;
    return Number.isFinite(bound) ? bound * 1000 : Number.POSITIVE_INFINITY;
  };
  const quantile = (share: number) => {
    const rank = share * total;
    const index = counts.findIndex((count) => count >= rank);
    const upper = bounds[index] ?? Number.POSITIVE_INFINITY;
    if (!Number.isFinite(upper)) return (bounds.at(-2) ?? Number.NaN) * 1000;
    const lower = index > 0 ? (bounds[index - 1] ?? 0) : 0;
    const below = index > 0 ? (counts[index - 1] ?? 0) : 0;
    const inBucket = (counts[index] ?? 0) - below;
    const ms = (lower + (upper - lower) * (inBucket > 0 ? (rank - below) / inBucket : 1)) * 1000;
    return Math.round(ms * 1000) / 1000;
  };
  const shareWithin = (bound: number) =>
    total > 0 ? Math.round(((counts[bounds.indexOf(bound)] ?? 0) / total) * 10_000) / 10_000 : Number.NaN;
  return {
    requests: total,
    p50Ms: quantile(0.5),
    p99Ms: quantile(0.99),
    p50AtMostMs: upTo(0.5),
    p99AtMostMs: upTo(0.99),
    shareWithin1Ms: shareWithin(0.001),
    shareWithin5Ms: shareWithin(0.005),
  };
}

async function closedLoop(
  target: Target,
  seconds: number,
  maxRequests = MAX_REQUESTS_PER_PHASE,
  concurrency = CONCURRENCY,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline && next < maxRequests) {
      const i = next++;
      const sent = performance.now();
      if (!(await send(target, i))) errors++;
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return summary(latencies, errors, elapsed);
}

/** Sends to every target at the same scheduled instants, RATE per second each. */
async function openLoopTogether(targets: Target[], rate: number, seconds: number): Promise<PhaseResult[]> {
  const total = Math.min(MAX_REQUESTS_PER_PHASE, Math.round(rate * seconds));
  const latencies: number[][] = targets.map(() => []);
  const errors = targets.map(() => 0);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = started + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    // Alternate which goes first, so neither is always second in the same tick.
    for (let k = 0; k < targets.length; k++) {
      const index = (i + k) % targets.length;
      pending.push(
        send(targets[index] as Target, i).then((ok) => {
          if (!ok) errors[index] = (errors[index] ?? 0) + 1;
          latencies[index]?.push(performance.now() - scheduled);
        }),
      );
    }
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  return latencies.map((values, index) => {
    values.sort((a, b) => a - b);
    return summary(values, errors[index] ?? 0, elapsed);
  });
}

function summary(sorted: number[], errors: number, seconds: number): PhaseResult {
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    requests: sorted.length,
    errors,
    seconds: round(seconds),
    rps: Math.round(sorted.length / seconds),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
  };
}

/** The round with the median rps (its latencies and errors come along). */
function medianRound(rounds: PhaseResult[]): PhaseResult {
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)] as PhaseResult;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

const loadAtStart = loadavg().map((value) => Math.round(value * 100) / 100);

async function main() {
  // Compile first: nothing is running yet that the build would compete with or leave behind.
  const runtimeEntry = buildRuntime();
  const litellmBin = WITH_LITELLM ? ensureLiteLlm((line) => process.stderr.write(`${line}\n`)) : undefined;
  const children: ChildProcess[] = [];
  let redis: RedisServerHandle | undefined;
  let runtime: RuntimeProcess | undefined;
  let litellm: LiteLlmProxy | undefined;
  try {
    redis = await startRedisServer();
    const stub = spawn(process.execPath, [STUB_CLI, "--record-limit", "0"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(stub);
    const { port: stubPort, url: stubUrl } = (await firstJsonLine(stub)) as { port: number; url: string };
    const floor = spawn(process.execPath, ["-e", FLOOR_PROXY, String(stubPort)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(floor);
    const { port: floorPort } = (await firstJsonLine(floor)) as { port: number };
    runtime = await startRuntimeProcess(
      {
        AGENTRY_MODEL: "bench-model",
        AGENTRY_PROVIDER_BASE_URL: stubUrl,
        AGENTRY_REDIS_URL: redis.url,
        AGENTRY_SYSTEM_PROMPT: "You are a helpful assistant.",
        AGENTRY_REVISION: "bench",
      },
      {
        stdout: "discard",
        nodeArgs: runtimeNodeArgs,
        entry: runtimeEntry,
      },
    );
    if (litellmBin) {
      process.stderr.write("starting litellm (one worker)...\n");
      litellm = await startLiteLlmProxy(litellmBin, { model: "bench-model", stubUrl });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const placement = cpuPlacement();
    if (placement) {
      for (const pid of [process.pid, stub.pid, floor.pid, litellm?.pid]) pin(pid, placement.clients);
      pin(redis.pid, placement[REDIS_CPU]);
      pin(runtime.pid, placement.service);
    }
    const idleRssMB = rssMB(runtime.pid);
    const floorIdleRssMB = rssMB(floor.pid ?? 0);
    const litellmIdleRssMB = litellm ? rssMB(litellm.pid) : null;

    const message = "What is the status of my order 12345?";
    const runtimeTarget: Target = {
      name: "runtime",
      port: runtime.port,
      path: "/v1/chat",
      body: (i) => JSON.stringify({ sessionId: `bench-${i % SESSIONS}`, message }),
    };
    // The model request the runtime makes for a session with full history (the stub echoes).
    const history = Array.from({ length: HISTORY_MESSAGES / 2 }, () => [
      { role: "user", content: message },
      { role: "assistant", content: `echo: ${message}` },
    ]).flat();
    const floorBody = JSON.stringify({
      messages: [
        { role: "system", content: "You are a helpful assistant." },
        ...history,
        { role: "user", content: message },
      ],
      model: "bench-model",
    });
    const floorTarget: Target = {
      name: "floor",
      port: floorPort,
      path: "/v1/chat/completions",
      body: () => floorBody,
    };
    // LiteLLM gets the same model request as the floor: it keeps no conversation memory itself.
    const litellmTarget: Target | undefined = litellm && {
      name: "litellm",
      port: Number(new URL(litellm.url).port),
      path: "/v1/chat/completions",
      body: () => floorBody,
      headers: { authorization: `Bearer ${litellm.masterKey}` },
    };

    process.stderr.write("warming up: filling every session's history...\n");
    const fill = SESSIONS * (HISTORY_MESSAGES / 2);
    const filled = await closedLoop(runtimeTarget, 120, fill);
    if (filled.requests < fill || filled.errors > 0) {
      throw new Error(`warm-up sent ${filled.requests} of ${fill} turns, ${filled.errors} failed`);
    }
    await closedLoop(floorTarget, WARMUP_SECONDS);
    if (litellmTarget) await closedLoop(litellmTarget, WARMUP_SECONDS * 2);

    process.stderr.write(
      `throughput: ${CONCURRENCY} concurrent, ${ROUNDS} rounds of ${THROUGHPUT_SECONDS}s each...\n`,
    );
    const processes: Record<string, number> = {
      stub: stub.pid ?? 0,
      redis: redis.pid ?? 0,
      floor: floor.pid ?? 0,
      runtime: runtime.pid,
      ...(litellm ? { litellm: litellm.pid } : {}),
    };
    const floorRounds: PhaseResult[] = [];
    const runtimeRounds: PhaseResult[] = [];
    const litellmRounds: PhaseResult[] = [];
    const cpuTotals = {
      floor: {} as Record<string, number>,
      runtime: {} as Record<string, number>,
      litellm: {} as Record<string, number>,
    };
    const addCpu = (into: Record<string, number>, before: Record<string, number>) => {
      const after = cpuSnapshot(processes);
      for (const [name, value] of Object.entries(after))
        into[name] = (into[name] ?? 0) + value - (before[name] ?? 0);
    };
    for (let round = 0; round < ROUNDS; round++) {
      let before = cpuSnapshot(processes);
      floorRounds.push(await closedLoop(floorTarget, THROUGHPUT_SECONDS));
      addCpu(cpuTotals.floor, before);
      before = cpuSnapshot(processes);
      runtimeRounds.push(await closedLoop(runtimeTarget, THROUGHPUT_SECONDS));
      addCpu(cpuTotals.runtime, before);
      if (litellmTarget) {
        before = cpuSnapshot(processes);
        litellmRounds.push(await closedLoop(litellmTarget, THROUGHPUT_SECONDS));
        addCpu(cpuTotals.litellm, before);
      }
    }
    const requestsOf = (rounds: PhaseResult[]) => rounds.reduce((sum, result) => sum + result.requests, 0);
    const floorCpu = cpuPerRequest(cpuTotals.floor, requestsOf(floorRounds));
    const runtimeCpu = cpuPerRequest(cpuTotals.runtime, requestsOf(runtimeRounds));
    const floorCpuMsPerRequest = floorCpu.floor ?? Number.NaN;
    const runtimeCpuMsPerRequest = runtimeCpu.runtime ?? Number.NaN;
    const litellmCpu = litellmTarget
      ? cpuPerRequest(cpuTotals.litellm, requestsOf(litellmRounds))
      : undefined;
    const litellmCpuMsPerRequest = litellmCpu?.litellm ?? null;
    const litellmMax = litellmTarget
      ? { ...medianRound(litellmRounds), rounds: litellmRounds.map((result) => result.rps) }
      : null;
    const ratios = runtimeRounds.map((result, index) => result.rps / (floorRounds[index]?.rps ?? Number.NaN));
    const runtimeMax = { ...medianRound(runtimeRounds), rounds: runtimeRounds.map((result) => result.rps) };
    const floorMax = { ...medianRound(floorRounds), rounds: floorRounds.map((result) => result.rps) };
    const loadedRssMB = rssMB(runtime.pid);
    const afterThroughput = (await runtimeMetrics(runtime.url)).diagnostics;
    const litellmLoadedRssMB = litellm ? rssMB(litellm.pid) : null;

    process.stderr.write(`lone requests: one at a time to each target for ${LONE_SECONDS}s...\n`);
    const lone = async (target: Target) => closedLoop(target, LONE_SECONDS, MAX_REQUESTS_PER_PHASE, 1);
    const loneRequests = {
      floor: await lone(floorTarget),
      runtime: await lone(runtimeTarget),
      litellm: litellmTarget ? await lone(litellmTarget) : null,
    };

    process.stderr.write(
      `latency: open loop at ${RATE} rps to each, together, ${LATENCY_ROUNDS} rounds of ${LATENCY_SECONDS}s...\n`,
    );
    const round = (value: number) => Math.round(value * 100) / 100;
    const { diagnostics: beforeRate, overhead: overheadBefore } = await runtimeMetrics(runtime.url);
    const latencyRounds: {
      floor: PhaseResult;
      runtime: PhaseResult;
      p50AddedMs: number;
      p99AddedMs: number;
    }[] = [];
    for (let index = 0; index < LATENCY_ROUNDS; index++) {
      const [floor, runtime] = (await openLoopTogether(
        [floorTarget, runtimeTarget],
        RATE,
        LATENCY_SECONDS,
      )) as [PhaseResult, PhaseResult];
      latencyRounds.push({
        floor,
        runtime,
        p50AddedMs: round(runtime.p50Ms - floor.p50Ms),
        p99AddedMs: round(runtime.p99Ms - floor.p99Ms),
      });
    }
    const medianLatency = [...latencyRounds].sort((a, b) => a.p99AddedMs - b.p99AddedMs)[
      Math.floor((latencyRounds.length - 1) / 2)
    ] as (typeof latencyRounds)[number];
    const { floor: floorAtRate, runtime: runtimeAtRate } = medianLatency;
    const { diagnostics: afterRate, overhead: overheadAfter } = await runtimeMetrics(runtime.url);
    const overheadAtRate = overheadDuring(overheadBefore, overheadAfter);
    // GC figures are totals since start: keep what happened during this phase.
    const diagnostics = {
      ...afterRate,
      majorGcCount: afterRate.majorGcCount - beforeRate.majorGcCount,
      majorGcTotalMs: round(afterRate.majorGcTotalMs - beforeRate.majorGcTotalMs),
      minorGcCount: afterRate.minorGcCount - beforeRate.minorGcCount,
      minorGcTotalMs: round(afterRate.minorGcTotalMs - beforeRate.minorGcTotalMs),
    };

    const cpu = (value: number) => Math.round(value * 1000) / 1000;
    const requestsPerCpuSecondRatio =
      litellmCpuMsPerRequest === null ? null : round(litellmCpuMsPerRequest / runtimeCpuMsPerRequest);
    const result = {
      // The figures the targets are judged on, from this one run.
      cpuMsPerRequest: cpu(runtimeCpuMsPerRequest),
      litellmCpuMsPerRequest: litellmCpuMsPerRequest === null ? null : cpu(litellmCpuMsPerRequest),
      requestsPerCpuSecondVsLitellm: requestsPerCpuSecondRatio,
      overheadP50Ms: overheadAtRate.p50Ms,
      overheadP99Ms: overheadAtRate.p99Ms,
      idleRssMB,
      targets: {
        requestsPerCpuSecondVsLitellm: ">= 20 (runtime requests per CPU-second / LiteLLM's)",
        overheadP50Ms: `<= 1 at ${RATE} rps (agentry_request_overhead_seconds)`,
        overheadP99Ms: `<= 5 at ${RATE} rps (agentry_request_overhead_seconds)`,
        idleRssMB: "<= 150",
      },
      rps: runtimeMax.rps,
      floorRps: floorMax.rps,
      ratio: round(median(ratios)),
      p50AddedMs: round(median(latencyRounds.map((result) => result.p50AddedMs))),
      p99AddedMs: medianLatency.p99AddedMs,
      loadedRssMB,
      // CPU per request of the floor proxy process alone, beside the runtime's (cpuMsPerRequest):
      // steadier than rps on a shared machine, because it does not depend on what else competes.
      floorCpuMsPerRequest: cpu(floorCpuMsPerRequest),
      throughput: {
        concurrency: CONCURRENCY,
        secondsPerRound: THROUGHPUT_SECONDS,
        ratioPerRound: ratios.map(round),
        runtime: runtimeMax,
        floor: floorMax,
        litellm: litellmMax,
      },
      loneRequests,
      // Where the machine's CPU went per request in each throughput phase (ms, every process on
      // the machine that serves it, the load generator included): the cores are shared, so a
      // heavier stub or Redis leaves less for the runtime.
      cpuMsPerRequestByProcess: {
        runtimePhase: runtimeCpu,
        floorPhase: floorCpu,
        litellmPhase: litellmCpu ?? null,
      },
      latencyAtRate: {
        rate: RATE,
        secondsPerRound: LATENCY_SECONDS,
        p99AddedMsPerRound: latencyRounds.map((result) => result.p99AddedMs),
        runtime: runtimeAtRate,
        floor: floorAtRate,
      },
      runtimeDiagnosticsAtRate: diagnostics,
      runtimeDiagnosticsAfterThroughput: afterThroughput,
      // The runtime's own histogram of what it added (duration minus waiting for the model), over
      // every latency round: what happens inside the process, without the trip to and from it.
      runtimeOverheadAtRate: overheadAtRate,
      floorIdleRssMB,
      litellmIdleRssMB,
      litellmLoadedRssMB,
      setup: {
        runtime:
          "POST /v1/chat, sessionId from a pool of 200, each with 50 history messages (Redis memory on), info logs to /dev/null",
        floor:
          "node:http pass-through proxy to the same stub, POST /v1/chat/completions with the model request the runtime makes (system + 50 history + new message)",
        litellm: litellm
          ? "LiteLLM proxy, one worker, POST /v1/chat/completions with the floor's model request, routed to the same stub"
          : "not run (BENCH_LITELLM=1 runs it)",
        stub: "agent-runtime/testing/stub-model-cli.ts, answering instantly",
        runtimeNodeArgs: runtimeNodeArgs.join(" "),
        machine: { cpus: cpus().length, node: process.version, loadAverageAtStart: loadAtStart },
        cpuPlacement: placement
          ? {
              runtime: `CPU ${placement.service}`,
              "load generator, stub, floor, litellm": `CPU ${placement.clients}`,
              redis: `CPU ${placement[REDIS_CPU]}`,
            }
          : "none: every process on every CPU",
      },
      measuredAt: new Date().toISOString(),
    };
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);

    const na = (value: number | string | null | undefined) =>
      value === null || value === undefined ? "-" : String(value);
    const rows = [
      ["", "runtime", "floor", "litellm", "target"],
      ["max rps", String(runtimeMax.rps), String(floorMax.rps), na(litellmMax?.rps), ""],
      [
        "CPU ms/request",
        String(result.cpuMsPerRequest),
        String(result.floorCpuMsPerRequest),
        na(result.litellmCpuMsPerRequest),
        "",
      ],
      [
        "requests/CPU-s vs litellm",
        na(requestsPerCpuSecondRatio === null ? null : `${requestsPerCpuSecondRatio}x`),
        "",
        "1x",
        ">= 20x",
      ],
      [
        "lone p50/p99 ms",
        `${loneRequests.runtime.p50Ms}/${loneRequests.runtime.p99Ms}`,
        `${loneRequests.floor.p50Ms}/${loneRequests.floor.p99Ms}`,
        loneRequests.litellm ? `${loneRequests.litellm.p50Ms}/${loneRequests.litellm.p99Ms}` : "-",
        "",
      ],
      [
        `p50/p99 ms @${RATE}rps`,
        `${runtimeAtRate.p50Ms}/${runtimeAtRate.p99Ms}`,
        `${floorAtRate.p50Ms}/${floorAtRate.p99Ms}`,
        "-",
        "",
      ],
      [
        `own overhead p50 ms @${RATE}rps`,
        `${overheadAtRate.p50Ms} (<= ${overheadAtRate.p50AtMostMs})`,
        "",
        "",
        "<= 1",
      ],
      [
        `own overhead p99 ms @${RATE}rps`,
        `${overheadAtRate.p99Ms} (<= ${overheadAtRate.p99AtMostMs})`,
        "",
        "",
        "<= 5",
      ],
      [
        "errors",
        String(runtimeMax.errors + runtimeAtRate.errors),
        String(floorMax.errors + floorAtRate.errors),
        na(litellmMax?.errors),
        "0",
      ],
      ["idle RSS MB", String(idleRssMB), String(floorIdleRssMB), na(litellmIdleRssMB), "<= 150"],
      ["loaded RSS MB", String(loadedRssMB), "", na(litellmLoadedRssMB), ""],
    ];
    const widths =
      rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
    for (const row of rows)
      console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  "));
    console.log(`\nwrote ${RESULTS}`);
  } finally {
    await runtime?.stop();
    await litellm?.stop();
    for (const child of children) child.kill("SIGTERM");
    await redis?.stop();
    agent.destroy();
  }
}

await main();

/** Compiles the sources as the image build does and returns the compiled server entry. */
function buildRuntime(): string {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, "-p", `${root}tsconfig.build.json`],
    {
      stdio: "inherit",
    },
  );
  return `${root}dist/agent-runtime/server.js`;
}
