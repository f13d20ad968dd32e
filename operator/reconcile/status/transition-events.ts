import type { AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import type { Blocked } from "../reconcile-plan.ts";
import type { RolloutEvent } from "../rollout-event.ts";
import { findCondition } from "./conditions.ts";
import { REASONS } from "./reasons.ts";
import { isNewStall } from "./stalled-status.ts";

/**
 * The Events of a status change, sent once when it happens: a rollout started or completed, a new
 * stall (Warning), and leaving a stall (Recovered).
 */
export function transitionEvents(
  previous: AgentDeploymentStatus,
  next: AgentDeploymentStatus,
  blocked: Blocked | undefined,
): RolloutEvent[] {
  const events: RolloutEvent[] = [];
  const [latest] = next.history ?? [];
  if (next.updateRevision && next.updateRevision !== previous.updateRevision && latest) {
    events.push({
      type: "Normal",
      reason: REASONS.rolloutStarted,
      message: previous.updateRevision
        ? `rolling out revision ${latest.revision} (image ${latest.image}, model ${latest.model}), replacing ${previous.updateRevision}`
        : `created revision ${latest.revision} (image ${latest.image}, model ${latest.model})`,
    });
  }
  const previousLatest = previous.history?.[0];
  if (
    latest?.outcome === "Promoted" &&
    !(previousLatest?.revision === latest.revision && previousLatest.outcome === "Promoted")
  ) {
    events.push({ type: "Normal", reason: REASONS.rolloutComplete, message: next.message ?? "" });
  }
  const wasStalled = findCondition(previous.conditions, "Stalled");
  if (blocked && isNewStall(previous, blocked)) {
    events.push({ type: "Warning", reason: blocked.reason, message: blocked.message });
  }
  // An aborted rollout stays Stalled without being blocked: only leaving the stall is a recovery.
  const stalled = findCondition(next.conditions, "Stalled")?.status === "True";
  if (!blocked && wasStalled?.status === "True" && !stalled) {
    events.push({ type: "Normal", reason: REASONS.recovered, message: next.message ?? "" });
  }
  return events;
}
