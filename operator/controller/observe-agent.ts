import type { AgentDeployment } from "../api/agent-deployment.ts";
import { LABELS } from "../api/constants.ts";
import type { InformerGroup } from "../kube/informer-group.ts";
import type { ConfigMap, Deployment, KubeObject, Secret } from "../kube/objects.ts";
import { type CalledAgent, calledAgentOf } from "../reconcile/called-agent.ts";
import { childNames } from "../reconcile/names.ts";
import { childKey, type ObservedState } from "../reconcile/reconcile-plan.ts";
import { referencedData } from "../reconcile/referenced-data.ts";
import { indexKeyOf } from "./agent-index.ts";
import { RecentWrites } from "./recent-writes.ts";

export interface Caches {
  agents: InformerGroup<KubeObject>;
  deployments: InformerGroup<Deployment>;
  services: InformerGroup<KubeObject>;
  autoscalers: InformerGroup<KubeObject>;
  disruptionBudgets: InformerGroup<KubeObject>;
  secrets: InformerGroup<Secret>;
  configMaps: InformerGroup<ConfigMap>;
  /** Present where the Gateway API is served. */
  httpRoutes?: InformerGroup<KubeObject>;
}

/**
 * Builds the observed state of one agent from the informer caches (with the operator's own writes
 * the caches have not seen yet laid over them): one look, no API calls.
 */
export function observeAgent(
  agent: AgentDeployment,
  caches: Caches,
  recent: RecentWrites = new RecentWrites(),
): ObservedState {
  const namespace = agent.metadata.namespace ?? "default";
  const name = agent.metadata.name;
  const owned = <T extends KubeObject>(object: T) =>
    object.metadata.labels?.[LABELS.agent] === name &&
    (object.metadata.ownerReferences ?? []).some(
      (owner) => owner.controller && owner.uid === agent.metadata.uid,
    );

  const children = new Map<string, KubeObject>();
  for (const [kind, informer, childName] of [
    ["Service", caches.services, childNames.service(name)],
    ["Service", caches.services, childNames.previewService(name)],
    ["Service", caches.services, childNames.stableService(name)],
    ["Service", caches.services, childNames.canaryService(name)],
    ["HorizontalPodAutoscaler", caches.autoscalers, childNames.autoscaler(name)],
    ["PodDisruptionBudget", caches.disruptionBudgets, childNames.disruptionBudget(name)],
  ] as const) {
    const object = recent.resolve(kind, namespace, childName, informer.get(namespace, childName));
    if (object && owned(object)) children.set(childKey(kind, childName), object);
  }
  // The auth Secret counts whoever made it: a Secret of that name is never overwritten.
  const secret = (secretName: string) =>
    recent.resolve("Secret", namespace, secretName, caches.secrets.get(namespace, secretName));
  const authSecret = secret(childNames.authSecret(name));
  if (authSecret) children.set(childKey("Secret", authSecret.metadata.name), authSecret);

  // Only what this agent refers to: a reconcile costs the same in a namespace of 5 or 5000 objects.
  const calledAgents = calledAgentsOf(agent, caches.agents);
  const secrets = new Map<string, Secret>();
  const configMaps = new Map<string, ConfigMap>();
  for (const reference of referencedData(name, agent.spec, calledAgents)) {
    const found =
      reference.kind === "Secret" ? secret(reference.name) : caches.configMaps.get(namespace, reference.name);
    if (found && reference.kind === "Secret") secrets.set(reference.name, found as Secret);
    if (found && reference.kind === "ConfigMap") configMaps.set(reference.name, found as ConfigMap);
  }

  return {
    agent,
    deployments: recent
      .overlay("Deployment", namespace, name, caches.deployments.listIndexed(indexKeyOf(namespace, name)))
      .filter(owned),
    children,
    data: { secrets, configMaps },
    calledAgents,
  };
}

/** The agents this agent's tools call (agentRef), as found in the cache; absent = not found. */
export function calledAgentsOf(
  agent: AgentDeployment,
  agents: InformerGroup<KubeObject>,
): Map<string, CalledAgent> {
  const namespace = agent.metadata.namespace ?? "default";
  const called = new Map<string, CalledAgent>();
  for (const tool of agent.spec.agent.tools ?? []) {
    const target = tool.agentRef ? agents.get(namespace, tool.agentRef.name) : undefined;
    if (target)
      called.set(target.metadata.name, calledAgentOf(target as Parameters<typeof calledAgentOf>[0]));
  }
  return called;
}
