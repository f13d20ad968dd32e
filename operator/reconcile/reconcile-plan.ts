/** What a reconcile observes and what its plan says to do: the shapes every stage shares. */
import type { AgentDeployment, AgentDeploymentStatus } from "../api/agent-deployment.ts";
import type { Deployment, KubeObject, ObjectRef } from "../kube/objects.ts";
import type { TakenMeasurements } from "./analysis-gate.ts";
import type { CalledAgent } from "./called-agent.ts";
import type { DesiredObject } from "./children.ts";
import type { ObservedData } from "./data-hashes.ts";
import type { DriftField } from "./drift/declared-drift.ts";
import type { RolloutEvent } from "./rollout-event.ts";
import type { HttpRoute, JsonPatchOperation } from "./route-weights.ts";

export interface ReconcileConfig {
  /** Runtime image used when spec.image is empty. */
  defaultImage: string | undefined;
  clusterDomain: string;
}

/** Everything one reconcile looks at, observed once before deciding. */
export interface ObservedState {
  agent: AgentDeployment;
  /** Deployments owned by the agent (any revision). */
  deployments: readonly Deployment[];
  /** Other owned children by `Kind/name`: Service, HorizontalPodAutoscaler, PodDisruptionBudget, Secret. */
  children: ReadonlyMap<string, KubeObject>;
  /** Secrets and ConfigMaps of the namespace, by name. */
  data: ObservedData;
  /** The AgentDeployments that tools call (agentRef), by name; absent = not found. */
  calledAgents: ReadonlyMap<string, CalledAgent>;
  /** Analysis measurements the controller took for this reconcile (they were due). */
  measurements?: TakenMeasurements;
  /** The HTTPRoute of canary trafficRouting.gatewayAPI as just read; null = not found. */
  httpRoute?: HttpRoute | null;
}

/** An owned object the live state moved away from, while its declaration did not change. */
export interface DriftReport {
  kind: string;
  name: string;
  /** The declared fields found missing or different; empty when the whole object is missing. */
  fields: DriftField[];
  /**
   * The object was there for this generation and is gone from the operator's view: deleted, or
   * its managed-by or agent label removed (the informers see only labelled objects).
   */
  missing: boolean;
  /** The object the repair applies. */
  declared: DesiredObject;
}

export interface ReconcilePlan {
  /** Objects to server-side apply; unchanged ones are already left out. */
  apply: DesiredObject[];
  /** Owned objects among `apply` (and `createIfMissing`) that are written only to repair drift. */
  drift: DriftReport[];
  /** Objects to create only when absent, never overwritten. */
  createIfMissing: DesiredObject[];
  /** Replica counts of older revisions' Deployments (their templates are never re-applied). */
  scale: Array<{ name: string; replicas: number }>;
  /** Deployments whose pods are replaced (agentry.dev/restart): their pod template gets this time. */
  restart: Array<{ name: string; at: string }>;
  /** Action annotations acted on by this plan, removed before its status is written. */
  consumedActions: string[];
  /** Weights to set on the HTTPRoute of canary trafficRouting (a conditional JSON patch). */
  routeWeights: { name: string; patch: JsonPatchOperation[] } | undefined;
  delete: ObjectRef[];
  status: AgentDeploymentStatus;
  events: RolloutEvent[];
  /** Look again after this long even if nothing changes (safety net while rolling). */
  requeueAfterMs: number | undefined;
  /** The agent cannot be reconciled as written; retried with backoff, nothing running is touched. */
  blocked: { reason: string; message: string } | undefined;
}

/** Why an agent cannot be reconciled as written (a Stalled reason and its message). */
export type Blocked = NonNullable<ReconcilePlan["blocked"]>;

export function childKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

export function refTo(object: KubeObject, kind: string): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind,
    namespace: object.metadata.namespace ?? "",
    name: object.metadata.name,
  };
}

/** A plan that changes nothing yet: the stages fill it in. */
export function emptyPlan(status: AgentDeploymentStatus): ReconcilePlan {
  return {
    apply: [],
    drift: [],
    createIfMissing: [],
    scale: [],
    restart: [],
    consumedActions: [],
    routeWeights: undefined,
    delete: [],
    status,
    events: [],
    requeueAfterMs: undefined,
    blocked: undefined,
  };
}
