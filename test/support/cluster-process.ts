import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface ProcessRecord {
  pid: number;
  /** Absolute path of the binary, checked before signalling so a reused pid is never killed. */
  binary: string;
  log: string;
}

/**
 * Starts a long-running component in its own process group, detached from the caller, with
 * stdout and stderr appended to its log file: the plane outlives `cluster:up` and test runs.
 */
export function startProcess(binary: string, args: readonly string[], log: string): ProcessRecord {
  const fd = openSync(log, "a");
  try {
    const child = spawn(binary, args, { detached: true, stdio: ["ignore", fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    child.unref();
    return { pid: child.pid, binary, log };
  } finally {
    closeSync(fd);
  }
}

/** True when the pid is alive, not a zombie, and still runs the recorded binary. */
export function isRunning(record: ProcessRecord): boolean {
  try {
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, "utf8");
    if (cmdline.split("\0")[0] !== record.binary) return false;
    const stat = readFileSync(`/proc/${record.pid}/stat`, "utf8");
    // Field 3 (after the parenthesised command name) is the state; Z is a zombie.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** SIGTERM, wait for a graceful exit, then SIGKILL. Returns once the process is gone. */
export async function stopProcess(record: ProcessRecord, graceMs = 10_000): Promise<void> {
  if (!isRunning(record)) return;
  signal(record.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(record)) return;
    await sleep(100);
  }
  signal(record.pid, "SIGKILL");
  while (isRunning(record)) await sleep(50);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** The last lines of a component's log, for error messages. */
export function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
