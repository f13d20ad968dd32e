/**
 * Stage 2 of a reconcile: the revision the spec asks for and the revisions that run. The update
 * revision is a hash of the pod template and of every referenced Secret and ConfigMap; the stable
 * one is the revision that served before this rollout.
 */
import { LABELS } from "../api/constants.ts";
import type { Deployment } from "../kube/objects.ts";
import type { PodTemplate } from "./pod-template.ts";
import type { ObservedState } from "./reconcile-plan.ts";
import { computeRevision } from "./revision.ts";
import type { RevisionReplicas } from "./rolling-update.ts";
import { findCondition } from "./status/conditions.ts";
import { REASONS } from "./status/reasons.ts";

export interface LiveRevision {
  revision: string;
  deployment: Deployment;
}

export interface Revisions {
  /** Every live revision's Deployment (none being deleted). */
  byRevision: Map<string, Deployment>;
  template: PodTemplate;
  /** The revision the spec asks for. */
  revision: string;
  /** Its Deployment, once created. */
  update: Deployment | undefined;
  /** Every other live revision, oldest first. */
  olds: LiveRevision[];
  /** The revision that served before this rollout. */
  stable: LiveRevision | undefined;
  /** The update revision's Deployment passed its progress deadline: why, in words. */
  deadlineExceeded: string | undefined;
  /**
   * A canary or blue-green rollout runs: the spec asks for another revision than the one that
   * serves. A return to the stable revision (or the cleanup after a promotion) only scales the
   * others away.
   */
  progressive: boolean;
}

export function resolveRevisions(
  observed: ObservedState,
  template: PodTemplate,
  dataHashes: readonly string[],
  byRevision: Map<string, Deployment>,
): Revisions {
  const { spec } = observed.agent;
  const previous = observed.agent.status ?? {};
  const revision = computeRevision(template, dataHashes);
  const update = byRevision.get(revision);
  const olds = [...byRevision.entries()]
    .filter(([candidate]) => candidate !== revision)
    .map(([candidate, deployment]) => ({ revision: candidate, deployment }))
    .sort((a, b) =>
      (a.deployment.metadata.creationTimestamp ?? "").localeCompare(
        b.deployment.metadata.creationTimestamp ?? "",
      ),
    );
  const deadline = findCondition(update?.status?.conditions as never, "Progressing");
  const deadlineExceeded =
    deadline?.status === "False" && deadline.reason === REASONS.progressDeadlineExceeded
      ? `revision ${revision} made no progress for ${spec.progressDeadlineSeconds}s: ${deadline.message ?? "pods are not becoming available"}`
      : undefined;
  const stable = pickStable(olds, previous.stableRevision);
  const progressive =
    spec.strategy.type !== "RollingUpdate" && stable !== undefined && revision !== previous.stableRevision;
  return { byRevision, template, revision, update, olds, stable, deadlineExceeded, progressive };
}

export function groupByRevision(deployments: readonly Deployment[]): Map<string, Deployment> {
  const byRevision = new Map<string, Deployment>();
  for (const deployment of deployments) {
    const revision = deployment.metadata.labels?.[LABELS.revision];
    if (revision && !deployment.metadata.deletionTimestamp) byRevision.set(revision, deployment);
  }
  return byRevision;
}

/** The revision that served before this rollout: the recorded stable one, else the most available. */
function pickStable(
  olds: readonly LiveRevision[],
  stableRevision: string | undefined,
): LiveRevision | undefined {
  const recorded = olds.find((old) => old.revision === stableRevision);
  if (recorded) return recorded;
  return [...olds].sort((a, b) => availableOf(b.deployment) - availableOf(a.deployment))[0];
}

export function availableOf(deployment: Deployment | undefined): number {
  return deployment?.status?.availableReplicas ?? 0;
}

export function replicasOf(revision: string, deployment: Deployment | undefined): RevisionReplicas {
  return { revision, replicas: deployment?.spec?.replicas ?? 0, available: availableOf(deployment) };
}
