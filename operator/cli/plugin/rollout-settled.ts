import { ANNOTATIONS } from "../../api/constants.ts";
import type { AgentObject } from "./agent-snapshot.ts";

export type Settled =
  | { settled: false }
  /** `ok`: Healthy, or waiting for a person (exit 0); not ok: aborted or stalled (exit 1). */
  | { settled: true; ok: boolean; reason: string };

/**
 * Whether `status -w` can stop watching: the operator has seen the current spec, and the rollout
 * is done (Healthy), aborted or stalled (Degraded, Stalled=True), or waits for a person (spec.paused,
 * a pause without duration, an inconclusive analysis, a blue-green waiting for promotion: the
 * operator's message then names the promote annotation). A timed pause is not settled: it ends by
 * itself.
 */
export function rolloutSettled(agent: AgentObject): Settled {
  const status = agent.status;
  if (!status || status.observedGeneration !== agent.metadata.generation) return { settled: false };
  const stalled = status.conditions?.find((condition) => condition.type === "Stalled");
  if (status.phase === "Degraded" || stalled?.status === "True")
    return { settled: true, ok: false, reason: `${status.phase ?? "Stalled"}: ${status.message ?? ""}` };
  if (status.phase === "Healthy") return { settled: true, ok: true, reason: "Healthy" };
  if (status.phase === "Paused" && (agent.spec?.paused || status.message?.includes(ANNOTATIONS.promote)))
    return { settled: true, ok: true, reason: `Paused: ${status.message ?? ""}` };
  return { settled: false };
}
