import { SINGULAR } from "../../api/constants.ts";
import { Informer } from "../../kube/informer.ts";
import type { KubeApiError } from "../../kube/kube-api-error.ts";
import type { Deployment, KubeObject } from "../../kube/objects.ts";
import { resourcePath } from "../../kube/resources.ts";
import { type AgentClient, ownedBy, revisionSelector } from "./agent-client.ts";
import type { AgentObject, AgentSnapshot } from "./agent-snapshot.ts";
import { PluginError } from "./plugin-error.ts";

/** Longest wait between retries while the API server is away: back within a second of its return. */
const RETRY_BACKOFF_MS = 1000;

export interface AgentWatchHandlers {
  /** The agent or one of its Deployments changed (once per event; callers coalesce). */
  onChange: () => void;
  /** A list or watch failed after the first list; the informer tries again by itself. */
  onError: (error: unknown) => void;
  /** Every watch that failed is open again: the outage is over. */
  onConnect: () => void;
  /** The agent was deleted while watched. */
  onDeleted: (error: PluginError) => void;
}

/**
 * One agent and its revisions' Deployments, kept current by two informers: the agent through a
 * field selector on its name, the Deployments through the operator's labels. Each lists once, then
 * watches from the list's resourceVersion; the informers reopen ended watches, relist on 410 Gone
 * and back off on errors, so nothing is polled. The project's Informer fits as it is (a one-object
 * collection is still a collection), which keeps one list+watch implementation for the operator
 * and the plugin.
 */
export class AgentWatch {
  private readonly agents: Informer<AgentObject & KubeObject>;
  private readonly deployments: Informer<Deployment>;
  private readonly client: AgentClient;
  private readonly name: string;
  private listed = false;
  private failStart: ((error: unknown) => void) | undefined;

  constructor(client: AgentClient, name: string, handlers: AgentWatchHandlers) {
    this.client = client;
    this.name = name;
    const { api, namespace } = client.connection;
    // Recovered only once every failing watch is open again, not when the first one is.
    const failing = new Set<string>();
    const retrying = (kind: string) => ({
      api,
      maxBackoffMs: RETRY_BACKOFF_MS,
      onError: (error: unknown) => {
        if (this.failStart) return this.failStart(error);
        failing.add(kind);
        handlers.onError(error);
      },
      onConnect: () => {
        if (failing.delete(kind) && failing.size === 0) handlers.onConnect();
      },
    });
    this.agents = new Informer<AgentObject & KubeObject>({
      ...retrying("agent"),
      path: resourcePath("AgentDeployment", { namespace }),
      fieldSelector: `metadata.name=${name}`,
      onEvent: (type) => {
        if (type === "DELETED" && this.listed)
          handlers.onDeleted(new PluginError(`${SINGULAR} ${name} was deleted from namespace ${namespace}`));
        else handlers.onChange();
      },
    });
    this.deployments = new Informer<Deployment>({
      ...retrying("deployments"),
      path: resourcePath("Deployment", { namespace }),
      labelSelector: revisionSelector(name),
      onEvent: () => handlers.onChange(),
    });
  }

  /**
   * Lists both; a failure of a first list ends the start with its error (a 404 asks discovery
   * whether the CRD is installed), and an agent that does not exist ends it with "not found".
   */
  async start(): Promise<void> {
    const failed = new Promise<never>((_, reject) => {
      this.failStart = reject;
    });
    try {
      await Promise.race([Promise.all([this.agents.start(), this.deployments.start()]), failed]);
    } catch (error) {
      if ((error as KubeApiError).status === 404) await this.client.getAgent(this.name);
      throw error;
    } finally {
      this.failStart = undefined;
    }
    if (!this.snapshot()) await this.client.getAgent(this.name); // throws "not found"
    this.listed = true;
  }

  async stop(): Promise<void> {
    await Promise.all([this.agents.stop(), this.deployments.stop()]);
  }

  /** The agent and its Deployments as last seen; undefined while the agent does not exist. */
  snapshot(): AgentSnapshot | undefined {
    const agent = this.agents.get(this.client.namespace, this.name);
    if (!agent) return undefined;
    return { agent, deployments: ownedBy(agent, this.deployments.list()) };
  }
}
