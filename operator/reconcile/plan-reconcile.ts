import type { AgentDeployment, AgentDeploymentStatus } from "../api/agent-deployment.ts";
import { HISTORY_LIMIT, LABELS } from "../api/constants.ts";
import { DEFAULT_SERVICE_PORT } from "../api/serving-spec.ts";
import { DEFAULT_ROLLING_UPDATE } from "../api/strategy-spec.ts";
import type { Deployment, KubeObject, ObjectRef } from "../kube/objects.ts";
import { isUpToDate, withAppliedHash } from "./applied-hash.ts";
import { type CalledAgent, toolsLackingCredential } from "./called-agent.ts";
import {
  buildAuthSecret,
  buildAutoscaler,
  buildDeployment,
  buildDisruptionBudget,
  buildService,
  type DesiredObject,
} from "./children.ts";
import { type ConditionInput, findCondition, mergeConditions, REASONS } from "./conditions.ts";
import { type ObservedData, resolveReferencedData } from "./data-hashes.ts";
import { type DriftField, findDrift } from "./declared-drift.ts";
import { resolveIntOrPercent } from "./int-or-percent.ts";
import { kubeTime } from "./kube-time.ts";
import { agentSelector, childNames, formatSelector, serviceHost } from "./names.ts";
import { buildPodTemplate, withRevision } from "./pod-template.ts";
import { referencedData } from "./referenced-data.ts";
import { computeRevision } from "./revision.ts";
import { stepRollingUpdate } from "./rolling-update.ts";
import { buildRuntimeEnv } from "./runtime-env.ts";
import { isNewStall, stalledStatus } from "./stalled-status.ts";

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
}

export interface RolloutEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
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
  delete: ObjectRef[];
  status: AgentDeploymentStatus;
  events: RolloutEvent[];
  /** Look again after this long even if nothing changes (safety net while rolling). */
  requeueAfterMs: number | undefined;
  /** The agent cannot be reconciled as written; retried with backoff, nothing running is touched. */
  blocked: { reason: string; message: string } | undefined;
}

const PROGRESS_RECHECK_MS = 30_000;

export function childKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

/**
 * The pure core of a reconcile: from the observed state, the objects to write, the status to
 * persist and the Events to emit. No IO; the controller applies the plan.
 */
export function planReconcile(
  observed: ObservedState,
  config: ReconcileConfig,
  now: Date,
  generateKey: () => string,
): ReconcilePlan {
  const { agent } = observed;
  const { spec } = agent;
  const name = agent.metadata.name;
  const previous = agent.status ?? {};
  const plan: ReconcilePlan = {
    apply: [],
    drift: [],
    createIfMissing: [],
    scale: [],
    delete: [],
    status: previous,
    events: [],
    requeueAfterMs: undefined,
    blocked: undefined,
  };

  const authSecret = buildAuthSecret(agent, "");
  if (authSecret && !observed.children.has(childKey("Secret", authSecret.metadata.name))) {
    const created = buildAuthSecret(agent, generateKey()) as DesiredObject;
    plan.createIfMissing.push(created);
    // Its key hash is part of the revision: a deleted Secret gets a new key and a new revision rolls out.
    if (previous.updateRevision !== undefined) plan.drift.push(missingReport(created));
  }

  const byRevision = groupByRevision(observed.deployments);
  const image = spec.image ?? config.defaultImage;
  const { env, missingAgents } = buildRuntimeEnv(agent, {
    calledAgents: observed.calledAgents,
    clusterDomain: config.clusterDomain,
  });
  const lackingCredential = toolsLackingCredential(spec.agent.tools ?? [], observed.calledAgents);
  const resolved = resolveReferencedData(referencedData(name, spec, observed.calledAgents), observed.data);
  const missing = resolved.missing.filter(
    (item) => !(plan.createIfMissing.length > 0 && item.reference.field === "spec.auth"),
  );

  if (!image) {
    plan.blocked = {
      reason: REASONS.noImage,
      message: "spec.image is empty and the operator has no default runtime image (AGENTRY_RUNTIME_IMAGE)",
    };
  } else if (missingAgents.length > 0) {
    plan.blocked = {
      reason: REASONS.missingAgentRef,
      message: `tool agentRef names no AgentDeployment in this namespace: ${missingAgents.join(", ")}`,
    };
  } else if (lackingCredential.length > 0) {
    plan.blocked = {
      reason: REASONS.missingToolCredential,
      message: `set credentialSecretRef (a token the called agent accepts) on: ${lackingCredential.join(", ")}`,
    };
  } else if (missing.length > 0) {
    plan.blocked = { reason: REASONS.missingData, message: missing.map((item) => item.message).join("; ") };
  }
  // While Secret NAME-auth is being created the revision cannot be hashed yet: wait for it.
  const creatingAuthSecret = plan.createIfMissing.length > 0;
  if (plan.blocked || !image || creatingAuthSecret) {
    // Nothing that runs is touched: status only.
    plan.status = computeStatus(observed, {
      revision: previous.updateRevision,
      byRevision,
      complete: false,
      now,
      plan,
      image,
      clusterDomain: config.clusterDomain,
    });
    plan.events = transitionEvents(previous, plan.status, plan.blocked);
    if (!plan.blocked) plan.requeueAfterMs = 1000;
    return plan;
  }

  const template = buildPodTemplate({ agentName: name, spec, image, env });
  const revision = computeRevision(template, resolved.hashes);
  const update = byRevision.get(revision);
  const olds = [...byRevision.entries()]
    .filter(([candidate]) => candidate !== revision)
    .map(([candidate, deployment]) => ({ revision: candidate, deployment }))
    .sort((a, b) =>
      (a.deployment.metadata.creationTimestamp ?? "").localeCompare(
        b.deployment.metadata.creationTimestamp ?? "",
      ),
    );

  const desired = spec.replicas;
  const targets = new Map<string, number>();
  let complete = false;
  if (olds.length > 0 && spec.strategy.type !== "RollingUpdate") {
    plan.blocked = {
      reason: "StrategyNotSupported",
      message: `strategy ${spec.strategy.type} is not supported by this operator version yet; revision ${revision} waits, the running revisions are kept`,
    };
  } else if (spec.paused && olds.length > 0) {
    for (const [candidate, deployment] of byRevision) targets.set(candidate, deployment.spec?.replicas ?? 0);
  } else if (olds.length === 0) {
    targets.set(revision, desired);
    complete = availableOf(update) >= desired && (update?.spec?.replicas ?? -1) === desired;
  } else {
    const rollingUpdate = spec.strategy.rollingUpdate ?? DEFAULT_ROLLING_UPDATE;
    const step = stepRollingUpdate({
      desired,
      maxSurge: rollingUpdate.maxSurge,
      maxUnavailable: rollingUpdate.maxUnavailable,
      update: { revision, replicas: update?.spec?.replicas ?? 0, available: availableOf(update) },
      olds: olds.map(({ revision: old, deployment }) => ({
        revision: old,
        replicas: deployment.spec?.replicas ?? 0,
        available: availableOf(deployment),
      })),
    });
    for (const [candidate, replicas] of step.replicas) targets.set(candidate, replicas);
    complete = step.complete;
  }

  const desiredObjects: DesiredObject[] = [];
  const updateTarget = targets.get(revision);
  if (updateTarget !== undefined) {
    desiredObjects.push(buildDeployment(agent, revision, withRevision(template, revision), updateTarget));
  }
  desiredObjects.push(buildService(agent));
  const optionalChildren: Array<[string, string, DesiredObject | undefined]> = [
    ["HorizontalPodAutoscaler", childNames.autoscaler(name), buildAutoscaler(agent)],
    ["PodDisruptionBudget", childNames.disruptionBudget(name), buildDisruptionBudget(agent)],
  ];
  for (const [kind, childName, object] of optionalChildren) {
    if (object) desiredObjects.push(object);
    else {
      const existing = observed.children.get(childKey(kind, childName));
      if (existing) plan.delete.push(refTo(existing, kind));
    }
  }
  // Objects this generation already wrote: one missing now was deleted by someone else.
  const established =
    previous.observedGeneration === agent.metadata.generation &&
    findCondition(previous.conditions, "Stalled")?.reason !== REASONS.applyFailed;
  for (const object of desiredObjects) {
    const stamped = withAppliedHash(object);
    const current =
      object.kind === "Deployment"
        ? update
        : observed.children.get(childKey(object.kind, object.metadata.name));
    if (!isUpToDate(stamped, current)) {
      plan.apply.push(stamped);
      const wasRunning = object.kind !== "Deployment" || previous.updateRevision === revision;
      if (!current && established && wasRunning) plan.drift.push(missingReport(stamped));
      continue;
    }
    // The stamp says what was applied, not what is there now: every declared field is checked too.
    const fields = findDrift(object, current);
    if (fields.length === 0) continue;
    plan.apply.push(stamped);
    plan.drift.push({
      kind: object.kind,
      name: object.metadata.name,
      fields,
      missing: false,
      declared: stamped,
    });
  }

  for (const { revision: old, deployment } of olds) {
    const target = targets.get(old);
    if (target === undefined) continue;
    if (target !== (deployment.spec?.replicas ?? 0))
      plan.scale.push({ name: deployment.metadata.name, replicas: target });
    else if (target === 0 && (deployment.status?.replicas ?? 0) === 0)
      plan.delete.push(refTo(deployment, "Deployment"));
  }

  const deadline = findCondition(update?.status?.conditions as never, "Progressing");
  if (!complete && deadline?.status === "False" && deadline.reason === REASONS.progressDeadlineExceeded) {
    plan.blocked = {
      reason: REASONS.progressDeadlineExceeded,
      message: `revision ${revision} made no progress for ${spec.progressDeadlineSeconds}s: ${deadline.message ?? "pods are not becoming available"}`,
    };
  }
  // A revision whose Deployment is neither there nor written now has not started: the status (and
  // its Events) keep naming the revision that runs.
  const started = update !== undefined || updateTarget !== undefined;
  plan.status = computeStatus(observed, {
    revision: started ? revision : previous.updateRevision,
    byRevision,
    complete,
    now,
    plan,
    image,
    clusterDomain: config.clusterDomain,
  });
  plan.events = transitionEvents(previous, plan.status, plan.blocked);
  if (!complete) plan.requeueAfterMs = PROGRESS_RECHECK_MS;
  return plan;
}

function missingReport(declared: DesiredObject): DriftReport {
  return { kind: declared.kind, name: declared.metadata.name, fields: [], missing: true, declared };
}

function groupByRevision(deployments: readonly Deployment[]): Map<string, Deployment> {
  const byRevision = new Map<string, Deployment>();
  for (const deployment of deployments) {
    const revision = deployment.metadata.labels?.[LABELS.revision];
    if (revision && !deployment.metadata.deletionTimestamp) byRevision.set(revision, deployment);
  }
  return byRevision;
}

function availableOf(deployment: Deployment | undefined): number {
  return deployment?.status?.availableReplicas ?? 0;
}

function refTo(object: KubeObject, kind: string): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind,
    namespace: object.metadata.namespace ?? "",
    name: object.metadata.name,
  };
}

interface StatusInput {
  revision: string | undefined;
  byRevision: Map<string, Deployment>;
  complete: boolean;
  now: Date;
  plan: ReconcilePlan;
  image: string | undefined;
  clusterDomain: string;
}

function computeStatus(observed: ObservedState, input: StatusInput): AgentDeploymentStatus {
  const { agent } = observed;
  const { spec } = agent;
  const name = agent.metadata.name;
  const namespace = agent.metadata.namespace ?? "default";
  const previous = agent.status ?? {};
  const { revision, byRevision, complete, now, plan } = input;
  const deployments = [...byRevision.values()];
  const sum = (pick: (deployment: Deployment) => number | undefined) =>
    deployments.reduce((total, deployment) => total + (pick(deployment) ?? 0), 0);
  const replicas = sum((deployment) => deployment.status?.replicas);
  const readyReplicas = sum((deployment) => deployment.status?.readyReplicas);
  const availableReplicas = sum((deployment) => deployment.status?.availableReplicas);
  const update = revision ? byRevision.get(revision) : undefined;
  const updatedReplicas = update?.status?.replicas ?? 0;
  const desired = spec.replicas;
  const maxUnavailable = resolveIntOrPercent(
    (spec.strategy.rollingUpdate ?? DEFAULT_ROLLING_UPDATE).maxUnavailable,
    desired,
    "down",
  );
  const available = availableReplicas >= Math.max(desired > 0 ? 1 : 0, desired - maxUnavailable);
  const reconciling = !complete;

  let phase: NonNullable<AgentDeploymentStatus["phase"]>;
  let message: string;
  if (complete) {
    phase = "Healthy";
    message = `revision ${revision}: ${update?.status?.availableReplicas ?? 0}/${desired} available`;
  } else if (spec.paused) {
    phase = "Paused";
    message = `paused: revision ${revision} has ${updatedReplicas}/${desired} pods, ${availableReplicas} available in total`;
  } else if (revision === undefined) {
    phase = "Progressing";
    message = "creating Secret with generated API keys";
  } else {
    phase = "Progressing";
    message = [...byRevision.keys()].some((candidate) => candidate !== revision)
      ? `rolling update to revision ${revision}: ${updatedReplicas}/${desired} updated, ${availableReplicas} available`
      : `revision ${revision}: ${availableReplicas}/${desired} available`;
  }

  const conditions: ConditionInput[] = [
    {
      type: "Ready",
      status: complete && available,
      reason: complete ? REASONS.rolloutComplete : REASONS.rollingOut,
      message,
    },
    {
      type: "Reconciling",
      status: reconciling,
      reason: reconciling ? (spec.paused ? REASONS.paused : REASONS.rollingOut) : REASONS.rolloutComplete,
      message: reconciling ? message : "",
    },
    { type: "Stalled", status: false, reason: REASONS.recovered, message: "" },
    {
      type: "Progressing",
      status: complete || !spec.paused,
      reason: complete ? REASONS.rolloutComplete : spec.paused ? REASONS.paused : REASONS.rollingOut,
      message: reconciling ? message : "",
    },
    {
      type: "Available",
      status: available,
      reason: available ? REASONS.available : REASONS.unavailable,
      message: `${availableReplicas}/${desired} available`,
    },
    { type: "Paused", status: spec.paused, reason: spec.paused ? REASONS.paused : "NotPaused", message: "" },
  ];

  const url = `http://${serviceHost(name, namespace, input.clusterDomain)}${spec.service.port === DEFAULT_SERVICE_PORT ? "" : `:${spec.service.port}`}`;
  const status: AgentDeploymentStatus = {
    ...previous,
    observedGeneration: agent.metadata.generation,
    phase,
    message,
    replicas,
    readyReplicas,
    updatedReplicas,
    availableReplicas,
    selector: formatSelector(agentSelector(name)),
    ...(revision ? { updateRevision: revision } : {}),
    ...(complete && revision ? { stableRevision: revision } : {}),
    conditions: mergeConditions(previous.conditions, conditions, agent.metadata.generation, now),
    history: nextHistory(previous, revision, complete, input.image ?? "", spec.agent.model, now),
    url,
  };
  if (status.observedGeneration === undefined) delete status.observedGeneration;
  // A stall is laid over the status of what runs, the same way wherever it is found.
  return plan.blocked
    ? stalledStatus(status, previous, plan.blocked, agent.metadata.generation, now)
    : status;
}

function nextHistory(
  previous: AgentDeploymentStatus,
  revision: string | undefined,
  complete: boolean,
  image: string,
  model: string,
  now: Date,
): AgentDeploymentStatus["history"] {
  const history = [...(previous.history ?? [])];
  if (!revision) return previous.history;
  const time = kubeTime(now);
  if (history[0]?.revision !== revision) {
    if (history[0]?.outcome === "Progressing")
      history[0] = { ...history[0], outcome: "Superseded", finishedAt: time };
    history.unshift({ revision, image, model, startedAt: time, outcome: "Progressing" });
  }
  const latest = history[0];
  if (complete && latest?.outcome === "Progressing")
    history[0] = { ...latest, outcome: "Promoted", finishedAt: time };
  return history.slice(0, HISTORY_LIMIT);
}

function transitionEvents(
  previous: AgentDeploymentStatus,
  next: AgentDeploymentStatus,
  blocked: ReconcilePlan["blocked"],
): RolloutEvent[] {
  const events: RolloutEvent[] = [];
  const [latest] = next.history ?? [];
  if (next.updateRevision && next.updateRevision !== previous.updateRevision && latest) {
    events.push({
      type: "Normal",
      reason: REASONS.rolloutStarted,
      message: previous.updateRevision
        ? `rolling out revision ${latest.revision} (image ${latest.image}, model ${latest.model}), replacing ${previous.updateRevision}`
        : `created revision ${latest.revision} (image ${latest.image}, model ${latest.model})`,
    });
  }
  const previousLatest = previous.history?.[0];
  if (
    latest?.outcome === "Promoted" &&
    !(previousLatest?.revision === latest.revision && previousLatest.outcome === "Promoted")
  ) {
    events.push({ type: "Normal", reason: REASONS.rolloutComplete, message: next.message ?? "" });
  }
  const wasStalled = findCondition(previous.conditions, "Stalled");
  if (blocked && isNewStall(previous, blocked)) {
    events.push({ type: "Warning", reason: blocked.reason, message: blocked.message });
  }
  if (!blocked && wasStalled?.status === "True") {
    events.push({ type: "Normal", reason: REASONS.recovered, message: next.message ?? "" });
  }
  return events;
}
