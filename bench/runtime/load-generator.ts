/**
 * The load generator: POSTs to a target over one keep-alive agent, in a closed loop (a fixed
 * number of requests in flight) or an open loop (sent at scheduled instants, whatever the answers).
 */
import { Agent, request } from "node:http";
import { type PhaseResult, summary } from "./phase-summary.ts";
import { MAX_REQUESTS_PER_PHASE } from "./settings.ts";

/** Where requests go; `body(i)` is the i-th request's JSON. */
export type Target = {
  name: string;
  port: number;
  path: string;
  body: (i: number) => string;
  headers?: Record<string, string>;
};

const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

/** Closes the load generator's kept-alive connections, so the process can exit. */
export function closeLoadConnections(): void {
  agent.destroy();
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

/** `concurrency` requests in flight until `seconds` have passed or `maxRequests` were sent. */
export async function closedLoop(
  target: Target,
  options: { seconds: number; concurrency: number; maxRequests?: number },
): Promise<PhaseResult> {
  const { seconds, concurrency, maxRequests = MAX_REQUESTS_PER_PHASE } = options;
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

/**
 * Sends to every target at the same scheduled instants, `rate` per second each; latency counts
 * from the scheduled instant, so a stall of the sender is not left out (no coordinated omission).
 */
export async function openLoopTogether(
  targets: Target[],
  rate: number,
  seconds: number,
): Promise<PhaseResult[]> {
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
