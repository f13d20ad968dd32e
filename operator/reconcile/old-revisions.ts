/**
 * Stage 7 of a reconcile: older revisions' Deployments are only scaled (their templates are never
 * applied again) and deleted once they have no pods. The stable revision stays, at zero pods,
 * until the rollout is over: an abort scales it back.
 */
import type { ObjectRef } from "../kube/objects.ts";
import { type ReconcilePlan, refTo } from "./reconcile-plan.ts";
import type { Revisions } from "./revisions.ts";

export interface OldRevisions {
  scale: ReconcilePlan["scale"];
  deletes: ObjectRef[];
}

export function scaleOldRevisions(revisions: Revisions, targets: ReadonlyMap<string, number>): OldRevisions {
  const scale: ReconcilePlan["scale"] = [];
  const deletes: ObjectRef[] = [];
  for (const { revision: old, deployment } of revisions.olds) {
    const target = targets.get(old);
    if (target === undefined) continue;
    if (target !== (deployment.spec?.replicas ?? 0))
      scale.push({ name: deployment.metadata.name, replicas: target });
    else if (
      target === 0 &&
      (deployment.status?.replicas ?? 0) === 0 &&
      !(revisions.progressive && old === revisions.stable?.revision)
    )
      deletes.push(refTo(deployment, "Deployment"));
  }
  return { scale, deletes };
}
