import type { AgentDeployment } from "../api/agent-deployment.ts";
import { API_GROUP_VERSION, KIND, LABELS, MANAGED_BY } from "../api/constants.ts";
import type { OwnerReference } from "../kube/objects.ts";

/** Names of the objects the operator owns for an agent; see "What the operator owns". */
export const childNames = {
  deployment: (agent: string, revision: string) => `${agent}-${revision}`,
  service: (agent: string) => agent,
  previewService: (agent: string) => `${agent}-preview`,
  stableService: (agent: string) => `${agent}-stable`,
  canaryService: (agent: string) => `${agent}-canary`,
  authSecret: (agent: string) => `${agent}-auth`,
  autoscaler: (agent: string) => agent,
  disruptionBudget: (agent: string) => agent,
};

/** The in-cluster DNS name of an agent's Service. */
export function serviceHost(agent: string, namespace: string, clusterDomain: string): string {
  return `${childNames.service(agent)}.${namespace}.svc.${clusterDomain}`;
}

/** Key of the generated API keys in Secret NAME-auth. */
export const AUTH_SECRET_KEY = "api-keys";

/** Labels on every owned object; the informers filter on managed-by. */
export function ownedLabels(agent: string): Record<string, string> {
  return { [LABELS.name]: "agentry-agent", [LABELS.managedBy]: MANAGED_BY, [LABELS.agent]: agent };
}

/** Selects every pod of the agent, of every revision. */
export function agentSelector(agent: string): Record<string, string> {
  return { [LABELS.agent]: agent };
}

export function revisionSelector(agent: string, revision: string): Record<string, string> {
  return { [LABELS.agent]: agent, [LABELS.revision]: revision };
}

export function formatSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

export function ownerReference(agent: AgentDeployment): OwnerReference {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: KIND,
    name: agent.metadata.name,
    uid: agent.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}
