import type { AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import type { Deployment, ObjectMeta } from "../../kube/objects.ts";

/**
 * An AgentDeployment as the API server returns it, read loosely: the plugin shows what is there
 * even when the cluster runs a newer or older CRD than the plugin knows (no strict parse).
 */
export interface AgentObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    replicas?: number;
    image?: string;
    paused?: boolean;
    agent?: { model?: string };
    strategy?: {
      type?: string;
      canary?: { steps?: Array<{ setWeight?: number; pause?: { duration?: string } }> };
      blueGreen?: { autoPromotionEnabled?: boolean };
    };
  };
  status?: AgentDeploymentStatus;
}

/** What `status` shows: the agent and the Deployments of its revisions, read at one moment. */
export interface AgentSnapshot {
  agent: AgentObject;
  deployments: readonly Deployment[];
}

export function strategyOf(agent: AgentObject): string {
  return agent.spec?.strategy?.type ?? "RollingUpdate";
}
