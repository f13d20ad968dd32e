/** Polling for tests, the benchmarks and the demo. */
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `check` until it returns true. `describe` is called on timeout to explain what was
 * waited for (e.g. with the tail of a log).
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string = () => "",
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}\n${describe()}`.trimEnd());
}
