import { API_GROUP_VERSION, CRD_NAME, LABELS, MANAGED_BY, SINGULAR } from "../../api/constants.ts";
import type { Deployment } from "../../kube/objects.ts";
import { resourcePath } from "../../kube/resources.ts";
import type { AgentObject, AgentSnapshot } from "./agent-snapshot.ts";
import type { Connection } from "./plugin-connection.ts";
import { PluginError } from "./plugin-error.ts";

/** Field manager of the plugin's writes, so `managedFields` says who set an annotation or field. */
export const PLUGIN_FIELD_MANAGER = "kubectl-agentry";

/** The reads and writes the plugin's commands make, in the namespace of the connection. */
export class AgentClient {
  readonly connection: Connection;

  constructor(connection: Connection) {
    this.connection = connection;
  }

  get namespace(): string {
    return this.connection.namespace;
  }

  /** The agent, or a clear error: not found in this namespace, or no such resource type at all. */
  async getAgent(name: string): Promise<AgentObject> {
    const { api, namespace } = this.connection;
    const agent = await api.get<AgentObject>(resourcePath("AgentDeployment", { namespace, name }));
    if (agent) return agent;
    await this.requireCrd();
    throw new PluginError(`${SINGULAR} ${name} not found in namespace ${namespace}`);
  }

  /** Every agent of the cluster, or of the namespace given with -n. */
  async listAgents(): Promise<AgentObject[]> {
    const { api, namespace, namespaceGiven } = this.connection;
    const path = resourcePath("AgentDeployment", namespaceGiven ? { namespace } : {});
    try {
      return (await api.list<AgentObject>(path)).items;
    } catch (error) {
      if ((error as { status?: number }).status === 404) await this.requireCrd();
      throw error;
    }
  }

  /** The agent and the Deployments of its revisions (owned by it), read one after the other. */
  async snapshot(name: string): Promise<AgentSnapshot> {
    const agent = await this.getAgent(name);
    const { items } = await this.connection.api.list<Deployment>(
      resourcePath("Deployment", { namespace: this.namespace }),
      { labelSelector: revisionSelector(name) },
    );
    return { agent, deployments: ownedBy(agent, items) };
  }

  /** A JSON merge patch of the agent (annotations, spec.paused, spec.image, spec.agent.model). */
  async patchAgent(name: string, patch: unknown): Promise<AgentObject> {
    return this.connection.api.mergePatch<AgentObject>(
      resourcePath("AgentDeployment", { namespace: this.namespace, name }),
      patch,
      PLUGIN_FIELD_MANAGER,
    );
  }

  /** A 404 on an agent path can mean the CRD is not installed: discovery tells which. */
  private async requireCrd(): Promise<void> {
    const served = await this.connection.api.get<unknown>(`/apis/${API_GROUP_VERSION}`);
    if (served === undefined)
      throw new PluginError(
        `the AgentDeployment API (${API_GROUP_VERSION}) is not served by ${this.connection.server}: ` +
          `CRD ${CRD_NAME} is not installed; install it with \`kubectl apply -f crds/\` or the agentry Helm chart`,
      );
  }
}

/** The label selector of the Deployments the operator made for an agent's revisions. */
export function revisionSelector(name: string): string {
  return `${LABELS.agent}=${name},${LABELS.managedBy}=${MANAGED_BY}`;
}

/** The Deployments this very agent controls (not those of a deleted agent of the same name). */
export function ownedBy(agent: AgentObject, deployments: readonly Deployment[]): Deployment[] {
  return deployments.filter((deployment) =>
    (deployment.metadata.ownerReferences ?? []).some(
      (owner) => owner.controller && owner.uid === agent.metadata.uid,
    ),
  );
}
