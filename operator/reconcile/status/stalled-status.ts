import type { AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import { findCondition, mergeConditions } from "./conditions.ts";

export interface Blocked {
  reason: string;
  message: string;
}

const STALL_CONDITIONS = new Set(["Ready", "Reconciling", "Stalled", "Progressing"]);

/**
 * `status` turned into that of an agent that cannot progress as written: Stalled=True with the
 * reason, Ready, Reconciling and Progressing False; its other conditions (Available, Paused)
 * stay, as what runs is kept. The phase is Degraded, as kstatus (Failed, from Stalled=True) and Argo
 * Rollouts (an exceeded progress deadline) say: the spec cannot be reached and someone has to act,
 * even while an earlier revision keeps serving, which the message and Available=True tell.
 * Transition times come from `written`, the status last persisted, so retries of the same stall
 * produce the same status and no write.
 */
export function stalledStatus(
  status: AgentDeploymentStatus,
  written: AgentDeploymentStatus,
  blocked: Blocked,
  generation: number | undefined,
  now: Date,
): AgentDeploymentStatus {
  const stall = mergeConditions(
    written.conditions,
    [
      { type: "Ready", status: false, reason: blocked.reason, message: blocked.message },
      { type: "Reconciling", status: false, reason: blocked.reason, message: "" },
      { type: "Stalled", status: true, reason: blocked.reason, message: blocked.message },
      { type: "Progressing", status: false, reason: blocked.reason, message: blocked.message },
    ],
    generation,
    now,
  );
  const kept = (status.conditions ?? []).filter((condition) => !STALL_CONDITIONS.has(condition.type));
  const serving =
    findCondition(status.conditions, "Available")?.status === "True" &&
    status.stableRevision !== undefined &&
    (status.availableReplicas ?? 0) > 0;
  return {
    ...status,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    phase: "Degraded",
    message: serving
      ? `rollout stalled, revision ${status.stableRevision} keeps serving (${status.availableReplicas} available): ${blocked.message}`
      : blocked.message,
    conditions: [...stall, ...kept],
  };
}

/** True unless the status already reports this very stall: a Warning Event is sent once per cause. */
export function isNewStall(previous: AgentDeploymentStatus, blocked: Blocked): boolean {
  const stalled = findCondition(previous.conditions, "Stalled");
  return !(
    stalled?.status === "True" &&
    stalled.reason === blocked.reason &&
    stalled.message === blocked.message
  );
}
