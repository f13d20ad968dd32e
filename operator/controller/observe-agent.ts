import type { AgentDeployment } from "../api/agent-deployment.ts";
import { LABELS } from "../api/constants.ts";
import type { InformerGroup } from "../kube/informer-group.ts";
import type { ConfigMap, Deployment, KubeObject, Secret } from "../kube/objects.ts";
import { childNames } from "../reconcile/names.ts";
import { childKey, type ObservedState } from "../reconcile/plan-reconcile.ts";

export interface Caches {
  agents: InformerGroup<KubeObject>;
  deployments: InformerGroup<Deployment>;
  services: InformerGroup<KubeObject>;
  autoscalers: InformerGroup<KubeObject>;
  disruptionBudgets: InformerGroup<KubeObject>;
  secrets: InformerGroup<Secret>;
  configMaps: InformerGroup<ConfigMap>;
}

/** Builds the observed state of one agent from the informer caches: one look, no API calls. */
export function observeAgent(agent: AgentDeployment, caches: Caches): ObservedState {
  const namespace = agent.metadata.namespace ?? "default";
  const name = agent.metadata.name;
  const owned = <T extends KubeObject>(object: T) =>
    object.metadata.labels?.[LABELS.agent] === name &&
    (object.metadata.ownerReferences ?? []).some(
      (owner) => owner.controller && owner.uid === agent.metadata.uid,
    );

  const children = new Map<string, KubeObject>();
  for (const [kind, informer] of [
    ["Service", caches.services],
    ["HorizontalPodAutoscaler", caches.autoscalers],
    ["PodDisruptionBudget", caches.disruptionBudgets],
  ] as const) {
    for (const object of informer.list(namespace))
      if (owned(object)) children.set(childKey(kind, object.metadata.name), object);
  }
  // The auth Secret counts whoever made it: a Secret of that name is never overwritten.
  const authSecret = caches.secrets.get(namespace, childNames.authSecret(name));
  if (authSecret) children.set(childKey("Secret", authSecret.metadata.name), authSecret);

  const agentPorts = new Map<string, number>();
  for (const other of caches.agents.list(namespace)) {
    const port = (other as { spec?: { service?: { port?: number } } }).spec?.service?.port ?? 80;
    agentPorts.set(other.metadata.name, port);
  }

  return {
    agent,
    deployments: caches.deployments.list(namespace).filter(owned),
    children,
    data: {
      secrets: new Map(caches.secrets.list(namespace).map((secret) => [secret.metadata.name, secret])),
      configMaps: new Map(
        caches.configMaps.list(namespace).map((configMap) => [configMap.metadata.name, configMap]),
      ),
    },
    agentPorts,
  };
}
