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
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import type { BenchSettings } from "./settings.ts";

/** taskset CPU lists: `service` for the runtime, `clients` for everything else. */
export type CpuPlacement = { service: string; clients: string };

export function cpuPlacement(settings: Pick<BenchSettings, "pin">): CpuPlacement | undefined {
  const count = cpus().length;
  if (!settings.pin || count < 2) return undefined;
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  return { service: String(count - 1), clients: count === 2 ? "0" : `0-${count - 2}` };
}

/** Pins every thread of a running process to the CPU list. */
export function pin(pid: number | undefined, cpuList: string): void {
  if (pid) execFileSync("taskset", ["-a", "-c", "-p", cpuList, String(pid)], { stdio: "ignore" });
}
