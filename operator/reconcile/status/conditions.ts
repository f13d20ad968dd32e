import type { AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import { kubeTime } from "../kube-time.ts";

export type StatusCondition = NonNullable<AgentDeploymentStatus["conditions"]>[number];

export interface ConditionInput {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

/**
 * The conditions to write: each new condition keeps the previous lastTransitionTime unless its
 * status flipped, so a steady object produces an identical status (and no write).
 */
export function mergeConditions(
  previous: readonly StatusCondition[] | undefined,
  next: readonly ConditionInput[],
  generation: number | undefined,
  now: Date,
): StatusCondition[] {
  return next.map((condition) => {
    const status = condition.status ? "True" : "False";
    const before = previous?.find((candidate) => candidate.type === condition.type);
    const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : kubeTime(now);
    return {
      type: condition.type,
      status,
      reason: condition.reason,
      message: condition.message,
      lastTransitionTime,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    };
  });
}

export function findCondition(conditions: readonly StatusCondition[] | undefined, type: string) {
  return conditions?.find((condition) => condition.type === type);
}
