import type { BenchTargets } from "./bench-targets.ts";
import { closedLoop } from "./load-generator.ts";
import { type BenchSettings, HISTORY_MESSAGES, SESSIONS, WARMUP_SECONDS } from "./settings.ts";

/**
 * Fills every session to its 50 history messages (so each measured turn loads a full history),
 * then warms the floor and LiteLLM. Throws when a turn of the fill failed or was not sent.
 */
export async function warmUp(targets: BenchTargets, settings: BenchSettings): Promise<void> {
  process.stderr.write("warming up: filling every session's history...\n");
  const fill = SESSIONS * (HISTORY_MESSAGES / 2);
  const filled = await closedLoop(targets.runtime, {
    seconds: 120,
    concurrency: settings.concurrency,
    maxRequests: fill,
  });
  if (filled.requests < fill || filled.errors > 0) {
    throw new Error(`warm-up sent ${filled.requests} of ${fill} turns, ${filled.errors} failed`);
  }
  await closedLoop(targets.floor, { seconds: WARMUP_SECONDS, concurrency: settings.concurrency });
  if (targets.litellm)
    await closedLoop(targets.litellm, { seconds: WARMUP_SECONDS * 2, concurrency: settings.concurrency });
}
