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
 * Prints a table and writes bench/results/runtime.json. Each phase lives in bench/runtime/.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { ensureLiteLlm } from "./litellm-proxy.ts";
import { benchResult } from "./runtime/bench-result.ts";
import { benchTargets } from "./runtime/bench-targets.ts";
import { measureLatencyAtRate } from "./runtime/latency-at-rate.ts";
import { closeLoadConnections } from "./runtime/load-generator.ts";
import { measureLoneRequests } from "./runtime/lone-requests.ts";
import { formatTable, resultRows } from "./runtime/result-table.ts";
import { benchSettingsFrom } from "./runtime/settings.ts";
import { buildRuntime, idleRss, placeParts, startParts } from "./runtime/start-parts.ts";
import { measureThroughput } from "./runtime/throughput.ts";
import { warmUp } from "./runtime/warm-up.ts";

const RESULTS = fileURLToPath(new URL("./results/runtime.json", import.meta.url));

async function main() {
  const settings = benchSettingsFrom(process.env);
  const loadAtStart = loadavg().map((value) => Math.round(value * 100) / 100);
  // Compile first: nothing is running yet that the build would compete with or leave behind.
  const runtimeEntry = buildRuntime();
  const litellmBin = settings.withLitellm
    ? ensureLiteLlm((line) => process.stderr.write(`${line}\n`))
    : undefined;
  const parts = await startParts({ runtimeEntry, runtimeNodeArgs: settings.runtimeNodeArgs, litellmBin });
  try {
    const placement = placeParts(parts, settings);
    const idle = idleRss(parts);
    const targets = benchTargets(parts);
    await warmUp(targets, settings);
    const throughput = await measureThroughput(targets, parts, settings);
    const lone = await measureLoneRequests(targets, settings);
    const latency = await measureLatencyAtRate(targets, parts.runtime.url, settings);

    const result = benchResult({ settings, loadAtStart, placement, idle, throughput, lone, latency });
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    for (const line of formatTable(resultRows(result))) console.log(line);
    console.log(`\nwrote ${RESULTS}`);
  } finally {
    await parts.stop();
    closeLoadConnections();
  }
}

await main();
