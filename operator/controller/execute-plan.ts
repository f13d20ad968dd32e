import { API_GROUP_VERSION, FIELD_MANAGER, KIND } from "../api/constants.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import { KubeApiError } from "../kube/kube-api-error.ts";
import type { KubeObject } from "../kube/objects.ts";
import { isKnownKind, resourcePath } from "../kube/resources.ts";
import { kubeTime } from "../reconcile/kube-time.ts";
import type { ReconcilePlan, RolloutEvent } from "../reconcile/plan-reconcile.ts";

/**
 * Carries out the writes of a plan. Objects are applied one by one and the first failure stops
 * the rest (the next reconcile starts from what was written), reported with the object it hit.
 */
export async function executePlan(api: KubeApi, namespace: string, plan: ReconcilePlan): Promise<void> {
  for (const object of plan.createIfMissing) {
    try {
      await api.create(pathOf(object, false), object, FIELD_MANAGER);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.isConflict)) throw error;
    }
  }
  for (const object of plan.apply) {
    await api.apply(pathOf(object, true), object, FIELD_MANAGER);
  }
  for (const { name, replicas } of plan.scale) {
    await api.mergePatch(
      resourcePath("Deployment", { namespace, name }),
      { spec: { replicas } },
      FIELD_MANAGER,
    );
  }
  for (const ref of plan.delete) {
    if (!isKnownKind(ref.kind)) throw new Error(`cannot delete unknown kind ${ref.kind}`);
    await api.delete(resourcePath(ref.kind, { namespace: ref.namespace, name: ref.name }));
  }
}

function pathOf(object: KubeObject, withName: boolean): string {
  if (!isKnownKind(object.kind)) throw new Error(`cannot write unknown kind ${object.kind}`);
  return resourcePath(object.kind, {
    namespace: object.metadata.namespace,
    name: withName ? object.metadata.name : undefined,
  });
}

/** Records a core/v1 Event on the AgentDeployment, shown by `kubectl describe agd` and `kubectl events`. */
export async function recordEvent(
  api: KubeApi,
  agent: KubeObject,
  event: RolloutEvent,
  reportingInstance: string,
  now: Date,
): Promise<void> {
  const namespace = agent.metadata.namespace ?? "default";
  const time = kubeTime(now);
  await api.create(
    resourcePath("Event", { namespace }),
    {
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: `${agent.metadata.name}.`, namespace },
      involvedObject: {
        apiVersion: API_GROUP_VERSION,
        kind: KIND,
        name: agent.metadata.name,
        namespace,
        uid: agent.metadata.uid,
        resourceVersion: agent.metadata.resourceVersion,
      },
      type: event.type,
      reason: event.reason,
      message: event.message.slice(0, 1024),
      source: { component: "agentry" },
      reportingComponent: "agentry.dev/operator",
      reportingInstance,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    },
    FIELD_MANAGER,
  );
}
