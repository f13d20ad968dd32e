/**
 * The status a reconcile writes: phase and message, replica counts, the kstatus conditions
 * (Ready, Reconciling, Stalled) and the others, history, and the strategy's progress. A stall is
 * laid over the status of what runs, the same way wherever it is found.
 */
import type { AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import { DEFAULT_SERVICE_PORT } from "../../api/serving-spec.ts";
import { DEFAULT_ROLLING_UPDATE } from "../../api/strategy-spec.ts";
import type { Deployment } from "../../kube/objects.ts";
import { resolveIntOrPercent } from "../int-or-percent.ts";
import { agentSelector, formatSelector, serviceHost } from "../names.ts";
import type { ObservedState, ReconcilePlan } from "../reconcile-plan.ts";
import type { RolloutSummary } from "../rollout-step.ts";
import { type ConditionInput, mergeConditions } from "./conditions.ts";
import { REASONS } from "./reasons.ts";
import { nextHistory } from "./rollout-history.ts";
import { rolloutStatus } from "./rollout-status.ts";
import { stalledStatus } from "./stalled-status.ts";

export interface StatusInput {
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

export function computeStatus(observed: ObservedState, input: StatusInput): AgentDeploymentStatus {
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
