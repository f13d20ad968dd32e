import type { BenchTargets } from "./bench-targets.ts";
import { closedLoop, type Target } from "./load-generator.ts";
import type { PhaseResult } from "./phase-summary.ts";
import type { BenchSettings } from "./settings.ts";

export type LoneRequests = { floor: PhaseResult; runtime: PhaseResult; litellm: PhaseResult | null };

/**
 * One request at a time to each target for LONE_SECONDS: what a single caller waits (LiteLLM
 * cannot sustain RATE, so this is where its latency is compared).
 */
export async function measureLoneRequests(
  targets: BenchTargets,
  settings: BenchSettings,
): Promise<LoneRequests> {
  process.stderr.write(`lone requests: one at a time to each target for ${settings.loneSeconds}s...\n`);
  const lone = (target: Target) => closedLoop(target, { seconds: settings.loneSeconds, concurrency: 1 });
  return {
    floor: await lone(targets.floor),
    runtime: await lone(targets.runtime),
    litellm: targets.litellm ? await lone(targets.litellm) : null,
  };
}
