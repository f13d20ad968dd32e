/**
 * The pure core of a reconcile: from the observed state, the objects to write, the status to
 * persist and the Events to emit. No IO; the controller applies the plan. It reads as its stages,
 * in order, each a pure function of the observed state and what the stages before it decided
 * (as argo-rollouts' rolloutCanary() reads as its reconcileX() calls).
 */
import { desiredChildren } from "./desired-children.ts";
import { planDriftRepairs } from "./drift/drift-repairs.ts";
import { scaleOldRevisions } from "./old-revisions.ts";
import { planActions } from "./plan-actions.ts";
import { planRouteWeightsOf } from "./plan-route-weights.ts";
import { planStrategy } from "./plan-strategy.ts";
import { buildPodTemplate } from "./pod-template.ts";
import { checkPreconditions } from "./preconditions.ts";
import { emptyPlan, type ObservedState, type ReconcileConfig, type ReconcilePlan } from "./reconcile-plan.ts";
import { groupByRevision, resolveRevisions } from "./revisions.ts";
import { readRolloutActions } from "./rollout-actions.ts";
import { computeStatus } from "./status/compute-status.ts";
import { REASONS } from "./status/reasons.ts";
import { transitionEvents } from "./status/transition-events.ts";

/** While a rollout runs, look again this often even if nothing changes (a safety net). */
const PROGRESS_RECHECK_MS = 30_000;

export function planReconcile(
  observed: ObservedState,
  config: ReconcileConfig,
  now: Date,
  generateKey: () => string,
): ReconcilePlan {
  const { agent } = observed;
  const previous = agent.status ?? {};
  const plan = emptyPlan(previous);
  const byRevision = groupByRevision(observed.deployments);
  const status = { byRevision, now, plan, clusterDomain: config.clusterDomain };

  // 1. Preconditions: the generated auth Secret, an image, every reference resolvable.
  const pre = checkPreconditions(observed, config, generateKey);
  plan.createIfMissing.push(...pre.createIfMissing);
  plan.drift.push(...pre.drift);
  plan.blocked = pre.blocked;
  if (plan.blocked || !pre.image || pre.waitingForAuthSecret) {
    // Nothing that runs is touched: status only.
    plan.status = computeStatus(observed, {
      ...status,
      revision: previous.updateRevision,
      complete: false,
      image: pre.image,
    });
    plan.events = transitionEvents(previous, plan.status, plan.blocked);
    if (!plan.blocked) plan.requeueAfterMs = 1000;
    return plan;
  }

  // 2. The revision the spec asks for, and the ones that run.
  const template = buildPodTemplate({
    agentName: agent.metadata.name,
    spec: agent.spec,
    image: pre.image,
    env: pre.env,
  });
  const revisions = resolveRevisions(observed, template, pre.dataHashes, byRevision);
  // 3. The strategy: each revision's replicas, Service NAME's revision, the rollout's progress.
  const actions = readRolloutActions(agent.metadata.annotations);
  const outcome = planStrategy(observed, now, revisions, actions);
  plan.events.push(...outcome.events);
  plan.requeueAfterMs = outcome.requeueAfterMs;
  // 4. The user's action annotations, and restarts.
  const acted = planActions(agent, actions, outcome.rollout, byRevision, outcome.targets, now);
  plan.consumedActions = acted.consumedActions;
  plan.events.push(...acted.events);
  plan.restart = acted.restart;
  // 5. The owned objects to have now; 6. what to apply of them, and which applies repair drift.
  const children = desiredChildren(observed, revisions, outcome);
  plan.delete.push(...children.deletes);
  const repairs = planDriftRepairs(observed, children.desired, revisions);
  plan.apply = repairs.apply;
  plan.drift.push(...repairs.drift);
  // 7. Older revisions: scaled, then deleted.
  const olds = scaleOldRevisions(revisions, outcome.targets);
  plan.scale = olds.scale;
  plan.delete.push(...olds.deletes);
  // 8. The canary's weight on the HTTPRoute.
  const route = planRouteWeightsOf(observed, revisions, outcome);
  plan.routeWeights = route.routeWeights;
  plan.drift.push(...route.drift);
  plan.blocked = route.blocked;
  if (!plan.blocked && !outcome.complete && revisions.deadlineExceeded && !outcome.rollout?.abort)
    plan.blocked = { reason: REASONS.progressDeadlineExceeded, message: revisions.deadlineExceeded };

  // 9. Status, and the Events of its transitions. A revision whose Deployment is neither there nor
  // written now has not started: the status (and its Events) keep naming the revision that runs.
  const started = revisions.update !== undefined || outcome.targets.has(revisions.revision);
  plan.status = computeStatus(observed, {
    ...status,
    revision: started ? revisions.revision : previous.updateRevision,
    complete: outcome.complete,
    image: pre.image,
    rollout: outcome.rollout,
    restartedAt: acted.restartedAt,
  });
  plan.events = [...transitionEvents(previous, plan.status, plan.blocked), ...plan.events];
  if (!outcome.complete)
    plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? PROGRESS_RECHECK_MS, PROGRESS_RECHECK_MS);
  return plan;
}
