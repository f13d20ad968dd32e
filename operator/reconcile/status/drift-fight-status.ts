import type { AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import { mergeConditions } from "./conditions.ts";
import { REASONS } from "./reasons.ts";

/** An owned object the operator stopped repairing for a while, because something keeps changing it back. */
export interface FightReport {
  /** "Kind/name". */
  object: string;
  fields: string[];
  managers: string[];
}

export const DRIFT_FIGHT_CONDITION = "DriftFight";

/**
 * `status` with a DriftFight condition while the operator holds back from repairing an object,
 * and without it otherwise. The message names the objects, fields and other writers, and carries
 * no times, so a fight that goes on produces the same status and no writes.
 */
export function withDriftFights(
  status: AgentDeploymentStatus,
  previous: AgentDeploymentStatus,
  fights: readonly FightReport[],
  generation: number | undefined,
  now: Date,
): AgentDeploymentStatus {
  const others = (status.conditions ?? []).filter((condition) => condition.type !== DRIFT_FIGHT_CONDITION);
  if (fights.length === 0)
    return status.conditions === undefined ? status : { ...status, conditions: others };
  const [fight] = mergeConditions(
    previous.conditions,
    [
      {
        type: DRIFT_FIGHT_CONDITION,
        status: true,
        reason: REASONS.driftFight,
        message: fights.map(describeFight).join("; "),
      },
    ],
    generation,
    now,
  );
  return { ...status, conditions: fight ? [...others, fight] : others };
}

export function describeFight(fight: FightReport): string {
  const fields = fight.fields.length > 0 ? fight.fields.join(", ") : "the whole object";
  const by = fight.managers.length > 0 ? `, also written by ${fight.managers.join(", ")}` : "";
  return `${fight.object} (${fields}) keeps changing back after repair${by}; repairs pause with growing backoff`;
}
