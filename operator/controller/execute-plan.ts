import { API_GROUP_VERSION, FIELD_MANAGER, KIND } from "../api/constants.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import { KubeApiError } from "../kube/kube-api-error.ts";
import type { KubeObject } from "../kube/objects.ts";
import { isKnownKind, resourcePath } from "../kube/resources.ts";
import { listReplacementPatch } from "../reconcile/drift/list-replacement.ts";
import { kubeTime } from "../reconcile/kube-time.ts";
import { RESTARTED_AT_ANNOTATION } from "../reconcile/plan-actions.ts";
import type { ReconcilePlan } from "../reconcile/reconcile-plan.ts";
import type { RolloutEvent } from "../reconcile/rollout-event.ts";

/** An object as the API server answered a write, with the kind it was written as. */
export interface WrittenObject {
  kind: string;
  object: KubeObject;
}

/**
 * Carries out the writes of a plan. Objects are applied one by one and the first failure stops
 * the rest (the next reconcile starts from what was written), reported with the object it hit.
 * Returns what the API server answered, so the next reconcile does not mistake a cache that has
 * not caught up yet for drift.
 */
export async function executePlan(
  api: KubeApi,
  namespace: string,
  plan: ReconcilePlan,
): Promise<WrittenObject[]> {
  const written: WrittenObject[] = [];
  const wrote = (kind: string, object: KubeObject | undefined) => {
    if (object?.metadata) written.push({ kind, object });
  };
  for (const object of plan.createIfMissing) {
    try {
      wrote(object.kind, await api.create<KubeObject>(pathOf(object, false), object, FIELD_MANAGER));
    } catch (error) {
      if (!(error instanceof KubeApiError && error.isConflict)) throw error;
    }
  }
  for (const report of plan.drift) {
    const patch = listReplacementPatch(report.declared, report.fields);
    if (patch) await api.mergePatch(pathOf(report.declared, true), patch, FIELD_MANAGER);
  }
  for (const object of plan.apply) {
    wrote(object.kind, await api.apply<KubeObject>(pathOf(object, true), object, FIELD_MANAGER));
  }
  for (const { name, replicas } of plan.scale) {
    const scaled = await api.mergePatch<KubeObject>(
      resourcePath("Deployment", { namespace, name }),
      { spec: { replicas } },
      FIELD_MANAGER,
    );
    wrote("Deployment", scaled);
  }
  for (const { name, at } of plan.restart) {
    const restarted = await api.mergePatch<KubeObject>(
      resourcePath("Deployment", { namespace, name }),
      { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } },
      FIELD_MANAGER,
    );
    wrote("Deployment", restarted);
  }
  if (plan.routeWeights) {
    const { name, patch } = plan.routeWeights;
    try {
      wrote(
        "HTTPRoute",
        await api.jsonPatch<KubeObject>(resourcePath("HTTPRoute", { namespace, name }), patch, FIELD_MANAGER),
      );
    } catch (error) {
      // The route changed since it was read (its resourceVersion test failed): read it again.
      if (error instanceof KubeApiError && error.status === 422)
        throw new Error(`HTTPRoute ${name} changed while its weights were set; retrying`, { cause: error });
      throw error;
    }
  }
  for (const ref of plan.delete) {
    if (!isKnownKind(ref.kind)) throw new Error(`cannot delete unknown kind ${ref.kind}`);
    await api.delete(resourcePath(ref.kind, { namespace: ref.namespace, name: ref.name }));
  }
  return written;
}

/**
 * Removes the action annotations a plan acted on, on the version of the agent the plan was made
 * from (a changed agent answers 409 and is planned again): one annotation, one action.
 */
export async function consumeActions(
  api: KubeApi,
  agent: KubeObject,
  keys: readonly string[],
): Promise<KubeObject | undefined> {
  if (keys.length === 0) return undefined;
  return api.mergePatch<KubeObject>(
    resourcePath("AgentDeployment", { namespace: agent.metadata.namespace, name: agent.metadata.name }),
    {
      metadata: {
        resourceVersion: agent.metadata.resourceVersion,
        annotations: Object.fromEntries(keys.map((key) => [key, null])),
      },
    },
    FIELD_MANAGER,
  );
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
