/**
 * What the benchmark's processes use, read from /proc: resident memory and CPU time (a process's
 * descendants included), and CPU per request worked out from two snapshots.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Process name (stub, redis, floor, runtime, litellm) to pid; 0 when it has none. */
export type ProcessIds = Record<string, number>;
/** CPU ms by process name. */
export type CpuReading = Record<string, number>;

export function rssMB(pid: number): number {
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

/** CPU ms used so far by this process (as `loadGenerator`) and by each named one. */
export function cpuSnapshot(pids: ProcessIds): CpuReading {
  const usage = process.cpuUsage();
  const snapshot: CpuReading = { loadGenerator: (usage.user + usage.system) / 1000 };
  for (const [name, pid] of Object.entries(pids)) snapshot[name] = pid ? cpuMs(pid) : Number.NaN;
  return snapshot;
}

/** Adds to `into` what each process used between two snapshots. */
export function addCpuUsed(into: CpuReading, before: CpuReading, after: CpuReading): void {
  for (const [name, value] of Object.entries(after))
    into[name] = (into[name] ?? 0) + value - (before[name] ?? 0);
}

/** CPU ms per request of each process, from the CPU ms each used over `requests` requests. */
export function cpuPerRequest(cpuMsUsed: CpuReading, requests: number): CpuReading {
  const perRequest: CpuReading = {};
  for (const [name, value] of Object.entries(cpuMsUsed)) {
    perRequest[name] = Math.round((value / requests) * 1000) / 1000;
  }
  return perRequest;
}
