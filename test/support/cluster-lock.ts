import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Serializes up/down/test-run bookkeeping between processes (two test runs, or a test run and
 * `cluster:down`) with a directory created atomically; a lock whose owner died is taken over.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  const lock = path.join(dir, "lock");
  const owner = path.join(lock, "pid");
  mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (!ownerAlive(lock, owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lock}`);
      if (!announced) {
        console.log(`[cluster] waiting for another process holding ${lock}`);
        announced = true;
      }
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function ownerAlive(lock: string, ownerFile: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(ownerFile, "utf8"));
  } catch {
    // Created but not yet written: give the owner a moment rather than stealing the lock.
    try {
      return Date.now() - statSync(lock).mtimeMs < 10_000;
    } catch {
      return false;
    }
  }
  return isPidAlive(pid);
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
