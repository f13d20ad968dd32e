import { LABELS } from "../api/constants.ts";
import type { KubeObject } from "../kube/objects.ts";

/**
 * Objects grouped by the agent whose label they carry (namespace/agent), so a reconcile reads its
 * own Deployments and pending writes without scanning a namespace that may hold thousands.
 */
export function agentIndexKey(object: KubeObject): string | undefined {
  const agent = object.metadata.labels?.[LABELS.agent];
  return agent === undefined ? undefined : indexKeyOf(object.metadata.namespace ?? "", agent);
}

export function indexKeyOf(namespace: string, agent: string): string {
  return `${namespace}/${agent}`;
}
