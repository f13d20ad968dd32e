import type { AgentDeployment } from "../api/agent-deployment.ts";
import { API_GROUP_VERSION, KIND, LABELS } from "../api/constants.ts";
import type { KubeObject } from "../kube/objects.ts";
import {
  AUTH_SECRET_KEY,
  agentSelector,
  childNames,
  ownedLabels,
  ownerReference,
  revisionSelector,
} from "./names.ts";
import type { PodTemplate } from "./pod-template.ts";

/** A desired child object: what the operator applies with server-side apply. */
export type DesiredObject = KubeObject & Record<string, unknown>;

function metadata(agent: AgentDeployment, name: string, extraLabels: Record<string, string> = {}) {
  return {
    name,
    namespace: agent.metadata.namespace ?? "default",
    labels: { ...ownedLabels(agent.metadata.name), ...extraLabels },
    ownerReferences: [ownerReference(agent)],
  };
}

/** Deployment NAME-<revision>: one per live revision; the operator sets its replicas. */
export function buildDeployment(
  agent: AgentDeployment,
  revision: string,
  template: PodTemplate,
  replicas: number,
): DesiredObject {
  const name = agent.metadata.name;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(agent, childNames.deployment(name, revision), { [LABELS.revision]: revision }),
    spec: {
      replicas,
      selector: { matchLabels: revisionSelector(name, revision) },
      template,
      // The template of a revision never changes, so the Deployment's own strategy only matters
      // when pods are replaced; surge there too rather than losing capacity.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      revisionHistoryLimit: 1,
      progressDeadlineSeconds: agent.spec.progressDeadlineSeconds,
    },
  };
}

/**
 * Service NAME: every ready pod of every live revision (the Service skips unready pods), or only
 * the pods of `revision` when traffic must stay on one (blue-green, an aborted canary).
 */
export function buildService(agent: AgentDeployment, revision?: string): DesiredObject {
  return serviceOf(agent, childNames.service(agent.metadata.name), revision);
}

/** NAME-preview, NAME-stable or NAME-canary: the pods of one revision. */
export function buildRevisionService(agent: AgentDeployment, name: string, revision: string): DesiredObject {
  return serviceOf(agent, name, revision);
}

function serviceOf(agent: AgentDeployment, name: string, revision: string | undefined): DesiredObject {
  const { service } = agent.spec;
  const agentName = agent.metadata.name;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      ...metadata(agent, name),
      ...(service.annotations ? { annotations: service.annotations } : {}),
    },
    spec: {
      type: name === childNames.service(agentName) ? service.type : "ClusterIP",
      selector: revision ? revisionSelector(agentName, revision) : agentSelector(agentName),
      ports: [{ name: "http", port: service.port, targetPort: "http", protocol: "TCP" }],
    },
  };
}

/**
 * HorizontalPodAutoscaler NAME scaling the AgentDeployment itself through its scale subresource,
 * so one replica count covers all revisions and the operator splits it during a rollout.
 */
export function buildAutoscaler(agent: AgentDeployment): DesiredObject | undefined {
  const autoscaling = agent.spec.autoscaling;
  if (!autoscaling) return undefined;
  const metrics: unknown[] = [];
  if (autoscaling.targetCPUUtilizationPercentage !== undefined) {
    metrics.push({
      type: "Resource",
      resource: {
        name: "cpu",
        target: { type: "Utilization", averageUtilization: autoscaling.targetCPUUtilizationPercentage },
      },
    });
  }
  if (autoscaling.targetInflightRequests !== undefined) {
    metrics.push({
      type: "Pods",
      pods: {
        metric: { name: "agentry_inflight_requests" },
        target: { type: "AverageValue", averageValue: String(autoscaling.targetInflightRequests) },
      },
    });
  }
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: metadata(agent, childNames.autoscaler(agent.metadata.name)),
    spec: {
      scaleTargetRef: { apiVersion: API_GROUP_VERSION, kind: KIND, name: agent.metadata.name },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics,
      ...(autoscaling.behavior ? { behavior: autoscaling.behavior } : {}),
    },
  };
}

/** PodDisruptionBudget NAME: explicit settings, else maxUnavailable 1 once there is more than one pod. */
export function buildDisruptionBudget(agent: AgentDeployment): DesiredObject | undefined {
  const { disruption, replicas, autoscaling } = agent.spec;
  const multiple = replicas > 1 || (autoscaling?.maxReplicas ?? 0) > 1;
  if (!disruption && !multiple) return undefined;
  const bound =
    disruption?.minAvailable !== undefined
      ? { minAvailable: disruption.minAvailable }
      : { maxUnavailable: disruption?.maxUnavailable ?? 1 };
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(agent, childNames.disruptionBudget(agent.metadata.name)),
    spec: { selector: { matchLabels: agentSelector(agent.metadata.name) }, ...bound },
  };
}

/**
 * Secret NAME-auth with generated API keys: created once when auth is on without a referenced
 * Secret, never overwritten (the operator only creates it when it is missing).
 */
export function buildAuthSecret(agent: AgentDeployment, generatedKey: string): DesiredObject | undefined {
  if (agent.spec.auth.mode !== "apiKey" || agent.spec.auth.secretRef) return undefined;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata(agent, childNames.authSecret(agent.metadata.name)),
    type: "Opaque",
    stringData: { [AUTH_SECRET_KEY]: generatedKey },
  };
}
