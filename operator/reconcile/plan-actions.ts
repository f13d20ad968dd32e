/**
 * Stage 4 of a reconcile: the user's action annotations. Each is acted on once and removed; one
 * that means nothing now (a promote with no rollout, a retry of a rollout that was not aborted)
 * is removed with an Event saying so; a promote waits while spec.paused holds. A restart replaces
 * the pods of every live revision, one Deployment at a time.
 */
import type { AgentDeployment } from "../api/agent-deployment.ts";
import { ANNOTATIONS } from "../api/constants.ts";
import type { Deployment } from "../kube/objects.ts";
import { kubeTime } from "./kube-time.ts";
import type { ReconcilePlan } from "./reconcile-plan.ts";
import { actionAnnotationKeys, type RolloutActions } from "./rollout-actions.ts";
import type { RolloutEvent } from "./rollout-event.ts";
import type { RolloutSummary } from "./rollout-step.ts";
import { REASONS } from "./status/reasons.ts";

/** Pod-template annotation whose change makes the Deployment controller replace every pod. */
export const RESTARTED_AT_ANNOTATION = "agentry.dev/restarted-at";

export interface ActionsOutcome {
  consumedActions: string[];
  events: RolloutEvent[];
  restart: ReconcilePlan["restart"];
  /** When the last restart was asked for (kept in status until every pod was replaced for it). */
  restartedAt: string | undefined;
}

export function planActions(
  agent: AgentDeployment,
  actions: RolloutActions,
  rollout: RolloutSummary | undefined,
  byRevision: ReadonlyMap<string, Deployment>,
  targets: ReadonlyMap<string, number>,
  now: Date,
): ActionsOutcome {
  const { spec } = agent;
  const previous = agent.status ?? {};
  const events: RolloutEvent[] = [];
  const held = spec.paused && rollout ? [ANNOTATIONS.promote, ANNOTATIONS.promoteFull] : [];
  const consumedActions = actionAnnotationKeys(agent.metadata.annotations).filter(
    (key) => !(held as string[]).includes(key),
  );
  const ignored = [
    ...(rollout
      ? []
      : (["promote", "promoteFull", "abort", "retry"] as const).filter((action) => actions[action])),
    ...(rollout && actions.retry && !rollout.abort && !previous.aborted ? (["retry"] as const) : []),
  ];
  for (const action of ignored) {
    events.push({
      type: "Normal",
      reason: REASONS.actionIgnored,
      message: `${ANNOTATIONS[action]} ignored: ${action === "retry" && rollout ? "the rollout is not aborted" : "no canary or blue-green rollout is in progress"}; the annotation was removed`,
    });
  }
  const restartedAt = actions.restart ? kubeTime(now) : previous.restartedAt;
  if (actions.restart) {
    events.push({
      type: "Normal",
      reason: REASONS.restartRequested,
      message: "replacing every pod of the live revisions, one at a time",
    });
  }
  const restart = restartedAt ? restartsDue(byRevision, targets, restartedAt) : [];
  return { consumedActions, events, restart, restartedAt };
}

/** Live Deployments created before the restart that have not been restarted for it yet. */
function restartsDue(
  byRevision: ReadonlyMap<string, Deployment>,
  targets: ReadonlyMap<string, number>,
  restartedAt: string,
): Array<{ name: string; at: string }> {
  const due: Array<{ name: string; at: string }> = [];
  for (const [revision, deployment] of byRevision) {
    if ((targets.get(revision) ?? deployment.spec?.replicas ?? 0) === 0) continue;
    if ((deployment.metadata.creationTimestamp ?? "") >= restartedAt) continue;
    const template = deployment.spec?.template as { metadata?: { annotations?: Record<string, string> } };
    if (template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === restartedAt) continue;
    due.push({ name: deployment.metadata.name, at: restartedAt });
  }
  return due;
}
