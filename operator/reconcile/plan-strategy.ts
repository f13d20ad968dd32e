/**
 * Stage 3 of a reconcile: the strategy in force decides each revision's replicas, which revision
 * Service NAME selects and where the rollout stands. Canary and blue-green run while the spec
 * asks for another revision than the stable one; otherwise a rolling update moves the pods (or a
 * new agent just gets its pods).
 */
import { blueGreenSpec, canarySpec, DEFAULT_ROLLING_UPDATE } from "../api/strategy-spec.ts";
import { blueGreenOutcome } from "./blue-green.ts";
import { canaryOutcome } from "./canary.ts";
import { kubeTime } from "./kube-time.ts";
import type { ObservedState } from "./reconcile-plan.ts";
import { availableOf, type Revisions, replicasOf } from "./revisions.ts";
import { rollingUpdateOutcome } from "./rolling-update.ts";
import type { RolloutActions } from "./rollout-actions.ts";
import type { StrategyInput, StrategyOutcome } from "./rollout-step.ts";

const DEFAULT_CANARY = canarySpec.parse({});
const DEFAULT_BLUE_GREEN = blueGreenSpec.parse({});

export function planStrategy(
  observed: ObservedState,
  now: Date,
  revisions: Revisions,
  actions: RolloutActions,
): StrategyOutcome {
  const { spec } = observed.agent;
  const { revision, update, olds, stable, byRevision } = revisions;
  const desired = spec.replicas;
  const settled = (targets: Map<string, number>, complete: boolean): StrategyOutcome => ({
    targets,
    complete,
    rollout: undefined,
    serviceRevision: spec.strategy.type === "BlueGreen" ? revision : undefined,
    routeWeight: 0,
    events: [],
    requeueAfterMs: undefined,
  });

  if (revisions.progressive && stable) {
    const outcome = progressiveOutcome(observed, now, revisions, stable, actions);
    // Never three revisions live: anything else goes at once.
    for (const { revision: other } of olds) if (!outcome.targets.has(other)) outcome.targets.set(other, 0);
    return outcome;
  }
  if (spec.paused && olds.length > 0) {
    const held = new Map<string, number>();
    for (const [candidate, deployment] of byRevision) held.set(candidate, deployment.spec?.replicas ?? 0);
    return settled(held, false);
  }
  if (olds.length === 0) {
    const complete = availableOf(update) >= desired && (update?.spec?.replicas ?? -1) === desired;
    return settled(new Map([[revision, desired]]), complete);
  }
  const rollingUpdate = spec.strategy.rollingUpdate ?? DEFAULT_ROLLING_UPDATE;
  const outcome = rollingUpdateOutcome({
    desired,
    maxSurge: rollingUpdate.maxSurge,
    maxUnavailable: rollingUpdate.maxUnavailable,
    update: { revision, replicas: update?.spec?.replicas ?? 0, available: availableOf(update) },
    olds: olds.map(({ revision: old, deployment }) => ({
      revision: old,
      replicas: deployment.spec?.replicas ?? 0,
      available: availableOf(deployment),
    })),
  });
  return { ...outcome, serviceRevision: settled(outcome.targets, outcome.complete).serviceRevision };
}

function progressiveOutcome(
  observed: ObservedState,
  now: Date,
  revisions: Revisions,
  stable: NonNullable<Revisions["stable"]>,
  actions: RolloutActions,
): StrategyOutcome {
  const { spec } = observed.agent;
  const previous = observed.agent.status ?? {};
  const { revision, update } = revisions;
  const sameRollout = previous.updateRevision === revision;
  const shared: StrategyInput = {
    desired: spec.replicas,
    paused: spec.paused,
    now,
    previousAbort:
      sameRollout && previous.aborted
        ? { at: previous.abortedAt ?? kubeTime(now), message: previous.abortMessage ?? "aborted" }
        : undefined,
    actions,
    deadlineExceeded: revisions.deadlineExceeded,
    progressDeadlineAbort: spec.progressDeadlineAbort,
    measurements: observed.measurements ?? {},
  };
  const updateReplicas = replicasOf(revision, update);
  const stableReplicas = replicasOf(stable.revision, stable.deployment);
  if (spec.strategy.type === "Canary") {
    return canaryOutcome(
      {
        ...shared,
        spec: spec.strategy.canary ?? DEFAULT_CANARY,
        stable: stableReplicas,
        update: updateReplicas,
        previous: sameRollout && previous.canary?.stepCount !== undefined ? previous.canary : undefined,
      },
      spec.strategy.canary?.trafficRouting !== undefined,
    );
  }
  return blueGreenOutcome({
    ...shared,
    spec: spec.strategy.blueGreen ?? DEFAULT_BLUE_GREEN,
    active: stableReplicas,
    preview: updateReplicas,
    previous:
      sameRollout && previous.blueGreen?.previewRevision === revision ? previous.blueGreen : undefined,
  });
}
