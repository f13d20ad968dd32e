/**
 * Status decided after the plan, from what only the controller can see: the API server refused
 * an apply, or the AgentDeployment's spec does not parse at all (left from an older CRD). Both are
 * stalls laid over the status of what runs, with a Warning Event when the stall is new.
 */
import type { AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import type { Blocked, ReconcilePlan } from "../reconcile-plan.ts";
import type { RolloutEvent } from "../rollout-event.ts";
import { REASONS } from "./reasons.ts";
import { isNewStall, stalledStatus } from "./stalled-status.ts";

/**
 * The plan once the API server refused one of its applies (e.g. an invalid affinity passed
 * through): the agent says so and is retried with backoff; what already runs stays. Drift-fight
 * warnings already decided are kept; the plan's other Events did not happen.
 */
export function refusedApplyPlan(
  plan: ReconcilePlan,
  previous: AgentDeploymentStatus,
  message: string,
  generation: number | undefined,
  now: Date,
): ReconcilePlan {
  const blocked: Blocked = { reason: REASONS.applyFailed, message };
  const fightWarnings = plan.events.filter((event) => event.reason === REASONS.driftFight);
  return {
    ...plan,
    blocked,
    events: [...newStallWarning(previous, blocked), ...fightWarnings],
    status: stalledStatus(plan.status, previous, blocked, generation, now),
  };
}

/** The status and Events of an agent whose spec does not parse. */
export function invalidSpecOutcome(
  previous: AgentDeploymentStatus,
  message: string,
  generation: number | undefined,
  now: Date,
): { status: AgentDeploymentStatus; events: RolloutEvent[] } {
  const blocked: Blocked = { reason: REASONS.invalidSpec, message: `invalid spec: ${message}` };
  return {
    status: stalledStatus(previous, previous, blocked, generation, now),
    events: newStallWarning(previous, blocked),
  };
}

function newStallWarning(previous: AgentDeploymentStatus, blocked: Blocked): RolloutEvent[] {
  return isNewStall(previous, blocked) ? [{ type: "Warning", ...blocked }] : [];
}
