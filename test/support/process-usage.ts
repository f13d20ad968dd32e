// A process's resources as Linux reports them in /proc.
import { readFileSync } from "node:fs";

/** User and system CPU the process has used (clock ticks of 1/100 s on Linux). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmHWM: the process's peak resident set size, in MB. */
export function peakRssMB(pid: number): number {
  return statusKB(pid, "VmHWM") / 1024;
}

/** VmRSS: the process's resident set size now, in MB. */
export function rssMB(pid: number): number {
  return statusKB(pid, "VmRSS") / 1024;
}

function statusKB(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
}
