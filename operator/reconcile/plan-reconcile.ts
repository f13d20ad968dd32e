import type { AgentDeployment, AgentDeploymentStatus } from "../api/agent-deployment.ts";
import { ANNOTATIONS, HISTORY_LIMIT, LABELS } from "../api/constants.ts";
import { DEFAULT_SERVICE_PORT } from "../api/serving-spec.ts";
import { blueGreenSpec, canarySpec, DEFAULT_ROLLING_UPDATE } from "../api/strategy-spec.ts";
import type { Deployment, KubeObject, ObjectRef } from "../kube/objects.ts";
import type { AnalysisOps, TakenMeasurements } from "./analysis-gate.ts";
import { isUpToDate, withAppliedHash } from "./applied-hash.ts";
import { type BlueGreenDecision, type BlueGreenProgress, decideBlueGreen } from "./blue-green.ts";
import { type CalledAgent, toolsLackingCredential } from "./called-agent.ts";
import { type Abort, type CanaryDecision, type CanaryProgress, decideCanary } from "./canary.ts";
import {
  buildAuthSecret,
  buildAutoscaler,
  buildDeployment,
  buildDisruptionBudget,
  buildRevisionService,
  buildService,
  type DesiredObject,
} from "./children.ts";
import { type ObservedData, resolveReferencedData } from "./data-hashes.ts";
import { type DriftField, findDrift } from "./drift/declared-drift.ts";
import { resolveIntOrPercent } from "./int-or-percent.ts";
import { kubeTime } from "./kube-time.ts";
import { agentSelector, childNames, formatSelector, serviceHost } from "./names.ts";
import { buildPodTemplate, withRevision } from "./pod-template.ts";
import { referencedData } from "./referenced-data.ts";
import { computeRevision } from "./revision.ts";
import { stepRollingUpdate } from "./rolling-update.ts";
import { actionAnnotationKeys, readRolloutActions } from "./rollout-actions.ts";
import type { RolloutEvent } from "./rollout-event.ts";
import { type HttpRoute, type JsonPatchOperation, planRouteWeights } from "./route-weights.ts";
import { buildRuntimeEnv } from "./runtime-env.ts";
import { canaryStepLabel } from "./status/canary-step-label.ts";
import { type ConditionInput, findCondition, mergeConditions } from "./status/conditions.ts";
import { REASONS } from "./status/reasons.ts";
import { isNewStall, stalledStatus } from "./status/stalled-status.ts";
import { templateUsesSecret } from "./template-uses-secret.ts";

export interface ReconcileConfig {
  /** Runtime image used when spec.image is empty. */
  defaultImage: string | undefined;
  clusterDomain: string;
  /** The analysis state machine canary and blue-green rollouts drive. */
  analysis: AnalysisOps;
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

export type { RolloutEvent };

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

const PROGRESS_RECHECK_MS = 30_000;
/** Stalls under which a reconcile applies no owned object (its plan returns before, or failed). */
const STALLED_BEFORE_APPLY: ReadonlySet<string> = new Set([
  REASONS.applyFailed,
  REASONS.invalidSpec,
  REASONS.noImage,
  REASONS.missingAgentRef,
  REASONS.missingToolCredential,
  REASONS.missingReference,
]);
const DEFAULT_CANARY = canarySpec.parse({});
const DEFAULT_BLUE_GREEN = blueGreenSpec.parse({});
/** Pod-template annotation whose change makes the Deployment controller replace every pod. */
export const RESTARTED_AT_ANNOTATION = "agentry.dev/restarted-at";

/** What a canary or blue-green decision says about the rollout, for the status. */
interface RolloutSummary {
  message: string;
  /** Waiting for a person or a clock: phase Paused. */
  waiting: boolean;
  abort: Abort | undefined;
  canary?: CanaryProgress;
  blueGreen?: BlueGreenProgress;
}

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
    restart: [],
    consumedActions: [],
    routeWeights: undefined,
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
    // Its key hash is part of the revision: a deleted Secret gets a new key and a new revision rolls
    // out. Pods that read it mean it was deleted; otherwise auth was just turned on.
    if (observed.deployments.some((deployment) => templateUsesSecret(deployment, created.metadata.name)))
      plan.drift.push(missingReport(created));
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
    plan.blocked = {
      reason: REASONS.missingReference,
      message: missing.map((item) => item.message).join("; "),
    };
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
  const actions = readRolloutActions(agent.metadata.annotations);
  const targets = new Map<string, number>();
  let complete = false;
  const deadline = findCondition(update?.status?.conditions as never, "Progressing");
  const deadlineExceeded =
    deadline?.status === "False" && deadline.reason === REASONS.progressDeadlineExceeded
      ? `revision ${revision} made no progress for ${spec.progressDeadlineSeconds}s: ${deadline.message ?? "pods are not becoming available"}`
      : undefined;
  const stable = pickStable(olds, previous.stableRevision);
  // A rollout runs while the spec asks for another revision than the one that serves; a return to
  // the stable revision (or the cleanup after a promotion) only scales the others away.
  const progressive =
    spec.strategy.type !== "RollingUpdate" && stable !== undefined && revision !== previous.stableRevision;
  let rollout: RolloutSummary | undefined;
  let serviceRevision: string | undefined;
  /** Percent of traffic a router sends to the update revision; 0 outside a canary. */
  let routeWeight = 0;
  if (progressive && stable) {
    const sameRollout = previous.updateRevision === revision;
    const previousAbort =
      sameRollout && previous.aborted
        ? { at: previous.abortedAt ?? kubeTime(now), message: previous.abortMessage ?? "aborted" }
        : undefined;
    const shared = {
      desired,
      paused: spec.paused,
      now,
      previousAbort,
      actions,
      deadlineExceeded,
      progressDeadlineAbort: spec.progressDeadlineAbort,
      measurements: observed.measurements ?? {},
      analysis: config.analysis,
    };
    const updateReplicas = replicasOf(revision, update);
    const stableReplicas = replicasOf(stable.revision, stable.deployment);
    let decision: CanaryDecision | BlueGreenDecision;
    if (spec.strategy.type === "Canary") {
      const canary = decideCanary({
        ...shared,
        spec: spec.strategy.canary ?? DEFAULT_CANARY,
        stable: stableReplicas,
        update: updateReplicas,
        previous: sameRollout && previous.canary?.stepCount !== undefined ? previous.canary : undefined,
      });
      targets.set(stable.revision, canary.replicas.stable);
      targets.set(revision, canary.replicas.update);
      // With a router the route is the only way to the canary; Service NAME stays on stable.
      if (canary.abort || spec.strategy.canary?.trafficRouting) serviceRevision = stable.revision;
      routeWeight = canary.weight;
      rollout = { ...summaryOf(canary), canary: canary.progress };
      decision = canary;
    } else {
      const blueGreen = decideBlueGreen({
        ...shared,
        spec: spec.strategy.blueGreen ?? DEFAULT_BLUE_GREEN,
        active: stableReplicas,
        preview: updateReplicas,
        previous:
          sameRollout && previous.blueGreen?.previewRevision === revision ? previous.blueGreen : undefined,
      });
      targets.set(stable.revision, blueGreen.replicas.active);
      targets.set(revision, blueGreen.replicas.preview);
      serviceRevision = blueGreen.serviceRevision;
      rollout = { ...summaryOf(blueGreen), blueGreen: blueGreen.progress };
      decision = blueGreen;
    }
    // Never three revisions live: anything else goes at once.
    for (const { revision: other } of olds) if (!targets.has(other)) targets.set(other, 0);
    complete = decision.complete;
    plan.events.push(...decision.events);
    if (decision.requeueAfterMs !== undefined) plan.requeueAfterMs = decision.requeueAfterMs;
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
  if (!rollout && spec.strategy.type === "BlueGreen") serviceRevision = revision;
  // Each action annotation is acted on once and removed; a promote waits while spec.paused holds.
  const held = spec.paused && rollout ? [ANNOTATIONS.promote, ANNOTATIONS.promoteFull] : [];
  plan.consumedActions = actionAnnotationKeys(agent.metadata.annotations).filter(
    (key) => !(held as string[]).includes(key),
  );
  const ignored = [
    ...(rollout
      ? []
      : (["promote", "promoteFull", "abort", "retry"] as const).filter((action) => actions[action])),
    ...(rollout && actions.retry && !rollout.abort && !previous.aborted ? (["retry"] as const) : []),
  ];
  for (const action of ignored) {
    plan.events.push({
      type: "Normal",
      reason: REASONS.actionIgnored,
      message: `${ANNOTATIONS[action]} ignored: ${action === "retry" && rollout ? "the rollout is not aborted" : "no canary or blue-green rollout is in progress"}; the annotation was removed`,
    });
  }
  const restartedAt = actions.restart ? kubeTime(now) : previous.restartedAt;
  if (actions.restart) {
    plan.events.push({
      type: "Normal",
      reason: REASONS.restartRequested,
      message: "replacing every pod of the live revisions, one at a time",
    });
  }
  if (restartedAt) plan.restart = restartsDue(byRevision, targets, restartedAt);

  const desiredObjects: DesiredObject[] = [];
  const updateTarget = targets.get(revision);
  if (updateTarget !== undefined) {
    desiredObjects.push(buildDeployment(agent, revision, withRevision(template, revision), updateTarget));
  }
  desiredObjects.push(buildService(agent, serviceRevision));
  const inFlight = progressive ? revision : undefined;
  const servingRevision = progressive && stable ? stable.revision : revision;
  const routed = spec.strategy.type === "Canary" && spec.strategy.canary?.trafficRouting !== undefined;
  const revisionService = (serviceName: string, selected: string, wanted: boolean) =>
    wanted ? buildRevisionService(agent, serviceName, selected) : undefined;
  const optionalChildren: Array<[string, string, DesiredObject | undefined]> = [
    ["HorizontalPodAutoscaler", childNames.autoscaler(name), buildAutoscaler(agent)],
    ["PodDisruptionBudget", childNames.disruptionBudget(name), buildDisruptionBudget(agent)],
    [
      "Service",
      childNames.previewService(name),
      revisionService(
        childNames.previewService(name),
        inFlight ?? revision,
        spec.strategy.type === "BlueGreen",
      ),
    ],
    [
      "Service",
      childNames.stableService(name),
      revisionService(childNames.stableService(name), servingRevision, routed),
    ],
    [
      "Service",
      childNames.canaryService(name),
      revisionService(childNames.canaryService(name), inFlight ?? revision, routed),
    ],
  ];
  for (const [kind, childName, object] of optionalChildren) {
    if (object) desiredObjects.push(object);
    else {
      const existing = observed.children.get(childKey(kind, childName));
      if (existing) plan.delete.push(refTo(existing, kind));
    }
  }
  // Objects this generation already wrote: one missing now was deleted by someone else. A status
  // without an updateRevision, or stalled before applying, comes from reconciles that wrote none
  // (a new agent creating its auth Secret first, or waiting for a Secret): first creation is no drift.
  const stall = findCondition(previous.conditions, "Stalled");
  const established =
    previous.observedGeneration === agent.metadata.generation &&
    previous.updateRevision !== undefined &&
    !(stall?.status === "True" && STALLED_BEFORE_APPLY.has(stall.reason ?? ""));
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
    else if (
      target === 0 &&
      (deployment.status?.replicas ?? 0) === 0 &&
      !(progressive && old === stable?.revision)
    )
      // The stable revision stays, at zero pods, until the rollout is over: an abort scales it back.
      plan.delete.push(refTo(deployment, "Deployment"));
  }

  const gatewayAPI =
    spec.strategy.type === "Canary" ? spec.strategy.canary?.trafficRouting?.gatewayAPI : undefined;
  if (gatewayAPI) {
    const weights = planRouteWeights(
      observed.httpRoute ?? undefined,
      gatewayAPI.httpRoute,
      { stable: childNames.stableService(name), canary: childNames.canaryService(name) },
      complete ? 0 : routeWeight,
    );
    if (!weights.ok && progressive)
      plan.blocked = { reason: REASONS.trafficRoutingInvalid, message: weights.problem };
    if (weights.ok && weights.patch.length > 0) {
      plan.routeWeights = { name: gatewayAPI.httpRoute, patch: weights.patch };
      // The route already carried this rollout's weight: someone changed it, a repair to report.
      if (settledRouteWeight(previous, revision, complete) === (complete ? 0 : routeWeight))
        plan.drift.push(
          routeDriftReport(gatewayAPI.httpRoute, agent.metadata.namespace ?? "default", weights.patch),
        );
    }
  }
  if (!plan.blocked && !complete && deadlineExceeded && !rollout?.abort) {
    plan.blocked = { reason: REASONS.progressDeadlineExceeded, message: deadlineExceeded };
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
    rollout,
    restartedAt,
  });
  plan.events = [...transitionEvents(previous, plan.status, plan.blocked), ...plan.events];
  if (!complete)
    plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? PROGRESS_RECHECK_MS, PROGRESS_RECHECK_MS);
  return plan;
}

function summaryOf(decision: CanaryDecision | BlueGreenDecision): RolloutSummary {
  return { message: decision.message, waiting: decision.waiting, abort: decision.abort };
}

/** The revision that served before this rollout: the recorded stable one, else the most available. */
function pickStable(
  olds: ReadonlyArray<{ revision: string; deployment: Deployment }>,
  stableRevision: string | undefined,
): { revision: string; deployment: Deployment } | undefined {
  const recorded = olds.find((old) => old.revision === stableRevision);
  if (recorded) return recorded;
  return [...olds].sort((a, b) => availableOf(b.deployment) - availableOf(a.deployment))[0];
}

function replicasOf(revision: string, deployment: Deployment | undefined) {
  return { revision, replicas: deployment?.spec?.replicas ?? 0, available: availableOf(deployment) };
}

/** Live Deployments created before the restart that have not been restarted for it yet. */
function restartsDue(
  byRevision: ReadonlyMap<string, Deployment>,
  targets: ReadonlyMap<string, number>,
  restartedAt: string,
): Array<{ name: string; at: string }> {
  const due: Array<{ name: string; at: string }> = [];
  for (const [revision, deployment] of byRevision) {
    if ((targets.get(revision) ?? deployment.spec?.replicas ?? 0) === 0) continue;
    if ((deployment.metadata.creationTimestamp ?? "") >= restartedAt) continue;
    const template = deployment.spec?.template as { metadata?: { annotations?: Record<string, string> } };
    if (template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === restartedAt) continue;
    due.push({ name: deployment.metadata.name, at: restartedAt });
  }
  return due;
}

/**
 * The weight the last status reported as set on the route for this revision: the canary's weight
 * while its rollout runs, 0 once it completed; undefined when the weight is about to change anyway.
 */
function settledRouteWeight(
  previous: AgentDeploymentStatus,
  revision: string,
  complete: boolean,
): number | undefined {
  if (previous.updateRevision !== revision) return undefined;
  if (complete) return previous.stableRevision === revision && !previous.canary ? 0 : undefined;
  return previous.canary?.weight;
}

/** A repair of route weights, reported as drift of `spec.rules[i].backendRefs[j].weight`. */
function routeDriftReport(
  name: string,
  namespace: string,
  patch: readonly JsonPatchOperation[],
): DriftReport {
  const fields = patch
    .filter((operation) => operation.op !== "test")
    .map((operation) => ({
      path: operation.path
        .slice(1)
        .replace(/\/(\d+)/g, "[$1]")
        .replaceAll("/", "."),
      missingEntry: false,
    }));
  const declared = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace },
  } as DesiredObject;
  return { kind: "HTTPRoute", name, fields, missing: false, declared };
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
  /** Canary or blue-green progress; undefined for rolling updates and when no rollout runs. */
  rollout?: RolloutSummary;
  restartedAt?: string;
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
  const { rollout } = input;
  const aborted = rollout?.abort !== undefined;
  const reconciling = !complete && !aborted;
  const waiting = spec.paused || rollout?.waiting === true;

  let phase: NonNullable<AgentDeploymentStatus["phase"]>;
  let message: string;
  if (rollout && !complete) {
    phase = aborted ? "Degraded" : waiting ? "Paused" : "Progressing";
    message = rollout.message;
  } else if (complete) {
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

  const rolling = aborted ? REASONS.rolloutAborted : waiting ? REASONS.paused : REASONS.rollingOut;
  const conditions: ConditionInput[] = [
    {
      type: "Ready",
      status: complete && available,
      reason: complete ? REASONS.rolloutComplete : rolling,
      message,
    },
    {
      type: "Reconciling",
      status: reconciling,
      reason: reconciling ? rolling : complete ? REASONS.rolloutComplete : rolling,
      message: reconciling ? message : "",
    },
    {
      type: "Stalled",
      status: aborted,
      reason: aborted ? REASONS.rolloutAborted : REASONS.recovered,
      message: aborted ? message : "",
    },
    {
      type: "Progressing",
      status: complete || (!waiting && !aborted),
      reason: complete ? REASONS.rolloutComplete : rolling,
      message: complete ? "" : message,
    },
    {
      type: "Available",
      status: available,
      reason: available ? REASONS.minimumReplicasAvailable : REASONS.minimumReplicasUnavailable,
      message: `${availableReplicas}/${desired} available`,
    },
    {
      type: "Paused",
      status: waiting && !complete,
      reason: spec.paused ? REASONS.paused : waiting && !complete ? REASONS.rolloutPause : REASONS.notPaused,
      message: waiting && !complete ? message : "",
    },
  ];

  const url = `http://${serviceHost(name, namespace, input.clusterDomain)}${spec.service.port === DEFAULT_SERVICE_PORT ? "" : `:${spec.service.port}`}`;
  const {
    canary: _canary,
    blueGreen: _blueGreen,
    aborted: _aborted,
    abortedAt: _at,
    abortMessage: _why,
    ...kept
  } = previous;
  const status: AgentDeploymentStatus = {
    ...kept,
    observedGeneration: agent.metadata.generation,
    phase,
    message,
    replicas,
    // During a rollout the autoscaler sees at most the desired count: surge and canary pods are the
    // rollout's, and counting them would make a HorizontalPodAutoscaler scale up for nothing.
    hpaReplicas: complete ? replicas : Math.min(replicas, desired),
    readyReplicas,
    updatedReplicas,
    availableReplicas,
    selector: formatSelector(agentSelector(name)),
    sessions: spec.agent.memory ? "Redis" : "Disabled",
    ...(revision ? { updateRevision: revision } : {}),
    ...(complete && revision ? { stableRevision: revision } : {}),
    conditions: mergeConditions(previous.conditions, conditions, agent.metadata.generation, now),
    history: nextHistory(
      previous,
      revision,
      complete,
      input.image ?? "",
      spec.agent.model,
      now,
      rollout?.abort,
    ),
    url,
    ...rolloutStatus(spec, revision, complete, rollout, previous),
    ...(input.restartedAt ? { restartedAt: input.restartedAt } : {}),
  };
  if (status.observedGeneration === undefined) delete status.observedGeneration;
  // A stall is laid over the status of what runs, the same way wherever it is found.
  return plan.blocked
    ? stalledStatus(status, previous, plan.blocked, agent.metadata.generation, now)
    : status;
}

/** status.canary / blueGreen / aborted for the strategy in force, in steady state as in a rollout. */
function rolloutStatus(
  spec: AgentDeployment["spec"],
  revision: string | undefined,
  complete: boolean,
  rollout: RolloutSummary | undefined,
  previous: AgentDeploymentStatus,
): Partial<AgentDeploymentStatus> {
  const abort = rollout?.abort
    ? { aborted: true, abortedAt: rollout.abort.at, abortMessage: rollout.abort.message }
    : {};
  if (spec.strategy.type === "Canary") {
    const steps = (spec.strategy.canary ?? DEFAULT_CANARY).steps.length;
    const settled = { currentStepIndex: steps, stepCount: steps, weight: 100 };
    const canary =
      rollout?.canary && !complete
        ? rollout.canary
        : rollout || complete
          ? settled
          : (previous.canary ?? settled);
    const step = canaryStepLabel(canary.currentStepIndex, canary.stepCount);
    return { canary: stripUndefined({ ...canary, step }), ...abort };
  }
  if (spec.strategy.type === "BlueGreen") {
    const settled = { activeRevision: revision, previewRevision: revision };
    const blueGreen =
      rollout?.blueGreen && !complete ? rollout.blueGreen : revision ? settled : previous.blueGreen;
    return blueGreen ? { blueGreen: stripUndefined(blueGreen), ...abort } : abort;
  }
  return {};
}

function stripUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

function nextHistory(
  previous: AgentDeploymentStatus,
  revision: string | undefined,
  complete: boolean,
  image: string,
  model: string,
  now: Date,
  abort: Abort | undefined,
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
  if (!latest) return history;
  if (abort && latest.outcome === "Progressing")
    history[0] = {
      ...latest,
      outcome: "Aborted",
      finishedAt: abort.at,
      message: abort.message.slice(0, 4096),
    };
  else if (!abort && latest.outcome === "Aborted") {
    // Retried: the same revision rolls out again.
    const { finishedAt: _finished, message: _message, ...retried } = latest;
    history[0] = { ...retried, outcome: "Progressing" };
  }
  const current = history[0];
  if (complete && current?.outcome === "Progressing")
    history[0] = { ...current, outcome: "Promoted", finishedAt: time };
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
  // An aborted rollout stays Stalled without being blocked: only leaving the stall is a recovery.
  const stalled = findCondition(next.conditions, "Stalled")?.status === "True";
  if (!blocked && wasStalled?.status === "True" && !stalled) {
    events.push({ type: "Normal", reason: REASONS.recovered, message: next.message ?? "" });
  }
  return events;
}
