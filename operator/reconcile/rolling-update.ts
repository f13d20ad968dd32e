import { resolveIntOrPercent } from "./int-or-percent.ts";
import type { StrategyOutcome } from "./rollout-step.ts";

/** One revision's Deployment as the rollout math sees it. */
export interface RevisionReplicas {
  revision: string;
  /** spec.replicas as last applied. */
  replicas: number;
  /** status.availableReplicas. */
  available: number;
}

export interface RollingUpdateInput {
  desired: number;
  maxSurge: number | string;
  maxUnavailable: number | string;
  update: RevisionReplicas;
  /** Older revisions, oldest first. */
  olds: readonly RevisionReplicas[];
}

export interface RollingUpdateStep {
  /** Target spec.replicas per revision. */
  replicas: Map<string, number>;
  /** The update revision has all desired pods available and no older pod is left. */
  complete: boolean;
}

/**
 * One step of a rolling update between Deployments, the Deployment controller's algorithm applied
 * to revisions: scale the update revision up within `desired + maxSurge` pods in total, and the
 * old revisions down while at least `desired - maxUnavailable` pods stay available, removing
 * unavailable old pods first since they serve nobody.
 *
 * Worked example: desired 4, maxSurge 25% (-> 1), maxUnavailable 0; old has 4 available.
 *   step 1: update 0 -> 1 (5 pods in total), old stays 4 (only 4 available, 4 needed)
 *   update 1 becomes available: 5 available, 1 above the minimum -> old 4 -> 3
 *   step 3: 4 pods in total again -> update 1 -> 2 ... until update 4, old 0.
 */
export function stepRollingUpdate(input: RollingUpdateInput): RollingUpdateStep {
  const { desired, update, olds } = input;
  let surge = resolveIntOrPercent(input.maxSurge, desired, "up");
  const maxUnavailable = resolveIntOrPercent(input.maxUnavailable, desired, "down");
  if (surge === 0 && maxUnavailable === 0) surge = 1; // the schema forbids it; never deadlock anyway

  const replicas = new Map<string, number>();
  const oldTotal = olds.reduce((sum, old) => sum + old.replicas, 0);

  let updateTarget = Math.min(update.replicas, desired);
  if (update.replicas < desired) {
    const room = desired + surge - (update.replicas + oldTotal);
    updateTarget = Math.min(desired, update.replicas + Math.max(0, room));
  }
  replicas.set(update.revision, updateTarget);

  const minAvailable = Math.max(0, desired - maxUnavailable);
  const updateUnavailable = Math.max(0, update.replicas - update.available);
  let scaleDownBudget = update.replicas + oldTotal - minAvailable - updateUnavailable;
  const oldTargets = olds.map((old) => old.replicas);

  // Unavailable old pods first: removing them costs no availability.
  olds.forEach((old, index) => {
    const unhealthy = Math.max(0, old.replicas - old.available);
    const cut = Math.max(0, Math.min(unhealthy, scaleDownBudget));
    oldTargets[index] = (oldTargets[index] ?? 0) - cut;
    scaleDownBudget -= cut;
  });

  // Then available old pods, oldest revision first, keeping minAvailable pods available.
  const availableNow =
    update.available +
    olds.reduce((sum, old, index) => sum + Math.min(old.available, oldTargets[index] ?? 0), 0);
  let availableBudget = Math.min(scaleDownBudget, availableNow - minAvailable);
  olds.forEach((old, index) => {
    const cut = Math.max(0, Math.min(oldTargets[index] ?? 0, availableBudget));
    oldTargets[index] = (oldTargets[index] ?? 0) - cut;
    availableBudget -= cut;
    replicas.set(old.revision, oldTargets[index] ?? 0);
  });

  const complete =
    updateTarget === desired && update.available >= desired && oldTargets.every((target) => target === 0);
  return { replicas, complete };
}

/** A rolling update's reconcile as every strategy answers it. */
export function rollingUpdateOutcome(input: RollingUpdateInput): StrategyOutcome {
  const step = stepRollingUpdate(input);
  return {
    targets: step.replicas,
    complete: step.complete,
    rollout: undefined,
    serviceRevision: undefined,
    routeWeight: 0,
    events: [],
    requeueAfterMs: undefined,
  };
}
