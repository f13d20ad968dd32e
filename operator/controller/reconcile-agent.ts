import type { Logger } from "pino";
import type { AgentDeployment, AgentDeploymentStatus } from "../api/agent-deployment.ts";
import { API_GROUP_VERSION, FIELD_MANAGER, KIND } from "../api/constants.ts";
import { formatIssuePath, parseAgentDeployment } from "../api/parse-agent-deployment.ts";
import { agentDeploymentStatus } from "../api/status.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import { KubeApiError } from "../kube/kube-api-error.ts";
import type { KubeObject, Secret } from "../kube/objects.ts";
import { isKnownKind, resourcePath } from "../kube/resources.ts";
import { withHashedData, withoutManagedFields } from "../kube/transforms.ts";
import type { DriftBackoff } from "../reconcile/drift/drift-backoff.ts";
import { dueAnalyses } from "../reconcile/due-analyses.ts";
import { kubeTime } from "../reconcile/kube-time.ts";
import { planReconcile } from "../reconcile/plan-reconcile.ts";
import type { DriftReport, ReconcileConfig, ReconcilePlan } from "../reconcile/reconcile-plan.ts";
import { canonicalJson } from "../reconcile/revision.ts";
import type { RolloutEvent } from "../reconcile/rollout-event.ts";
import { type HttpRoute, httpRouteOf } from "../reconcile/route-weights.ts";
import { describeFight, type FightReport, withDriftFights } from "../reconcile/status/drift-fight-status.ts";
import { REASONS } from "../reconcile/status/reasons.ts";
import { invalidSpecOutcome, refusedApplyPlan } from "../reconcile/status/refused-plan.ts";
import { consumeActions, executePlan, recordEvent } from "./execute-plan.ts";
import type { OperatorMetrics } from "./metrics.ts";
import { type Caches, observeAgent } from "./observe-agent.ts";
import type { RecentWrites } from "./recent-writes.ts";
import type { MeasureDeps } from "./take-measurements.ts";

export interface ReconcileDeps extends MeasureDeps {
  api: KubeApi;
  caches: Caches;
  recent: RecentWrites;
  driftBackoff: DriftBackoff;
  metrics: Pick<OperatorMetrics, "driftRepairs" | "driftFights" | "rollouts" | "rolloutDuration">;
  config: ReconcileConfig;
  log: Logger;
  identity: string;
  now: () => Date;
  generateKey: () => string;
}

export type ReconcileOutcome =
  | { result: "success"; requeueAfterMs: number | undefined }
  /** The agent cannot be reconciled as written: retry with backoff. */
  | { result: "blocked"; reason: string }
  | { result: "gone" };

/**
 * One reconcile of one AgentDeployment: observe once from the caches, plan with pure functions,
 * apply, persist status only when it changed, emit the plan's Events.
 */
export async function reconcileAgent(key: string, deps: ReconcileDeps): Promise<ReconcileOutcome> {
  const [namespace = "", name = ""] = key.split("/");
  const raw = deps.recent.resolve(
    "AgentDeployment",
    namespace,
    name,
    deps.caches.agents.get(namespace, name),
  ) as (KubeObject & { status?: unknown }) | undefined;
  if (!raw || raw.metadata.deletionTimestamp) {
    deps.driftBackoff.forgetAgent(key);
    return { result: "gone" };
  }
  const now = deps.now();

  const parsed = parseAgentDeployment(raw);
  if (!parsed.ok) {
    // The CRD rejects such objects; one can still exist from an older CRD version.
    const message = parsed.issues
      .map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`)
      .join("; ");
    await writeInvalidSpecStatus(deps, raw, message, now);
    return { result: "blocked", reason: REASONS.invalidSpec };
  }
  const agent = parsed.value;
  const observed = observeAgent(agent, deps.caches, deps.recent);
  observed.httpRoute = await readHttpRoute(deps, agent);
  // The Prometheus client and the metric queries load with the first analysis that is due: an
  // operator whose agents run no analysis never pays their memory.
  const due = dueAnalyses(agent, now);
  if (due.length > 0) {
    const { takeMeasurements } = await import("./take-measurements.ts");
    observed.measurements = await takeMeasurements(agent, due, deps, now);
  }
  let plan = planReconcile(observed, deps.config, now, deps.generateKey);
  const fights = await holdBackFights(plan, key, deps, now);
  plan.status = withDriftFights(plan.status, agent.status ?? {}, fights, agent.metadata.generation, now);

  try {
    const written = await executePlan(deps.api, namespace, plan);
    for (const { kind, object } of written) deps.recent.record(kind, forCache(kind, object));
    const consumed = await consumeActions(deps.api, raw, plan.consumedActions);
    if (consumed?.metadata) deps.recent.record("AgentDeployment", withoutManagedFields(consumed));
    plan.events.push(...reportRepairs(plan.drift, deps));
  } catch (error) {
    if (!(error instanceof KubeApiError) || error.status >= 500 || error.isConflict) throw error;
    plan = refusedApplyPlan(plan, agent.status ?? {}, error.message, agent.metadata.generation, now);
  }

  await writeStatusIfChanged(deps, raw, agent.status, plan.status);
  countRollouts(deps, agent, plan, now);
  await emitEvents(deps, raw, plan.events, now);
  if (plan.blocked) return { result: "blocked", reason: plan.blocked.reason };
  return { result: "success", requeueAfterMs: plan.requeueAfterMs };
}

async function writeStatusIfChanged(
  deps: ReconcileDeps,
  raw: KubeObject,
  current: AgentDeploymentStatus | undefined,
  next: AgentDeploymentStatus,
): Promise<void> {
  // `current` comes parsed by the schema; normalise `next` the same way so defaults compare equal.
  const normalized = agentDeploymentStatus.parse(next);
  if (current && canonicalJson(current) === canonicalJson(normalized)) return;
  const path = resourcePath("AgentDeployment", {
    namespace: raw.metadata.namespace,
    name: raw.metadata.name,
    subresource: "status",
  });
  // Server-side apply of the status subresource: no resourceVersion, so a write based on a cache
  // that is a moment behind (two reconciles right after a start) does not fail with a conflict.
  const written = await deps.api.apply<KubeObject>(
    path,
    {
      apiVersion: API_GROUP_VERSION,
      kind: KIND,
      metadata: { name: raw.metadata.name, namespace: raw.metadata.namespace },
      status: normalized,
    },
    FIELD_MANAGER,
  );
  if (written?.metadata) deps.recent.record("AgentDeployment", withoutManagedFields(written));
}

/**
 * Takes out of the plan the drift repairs of objects the operator has been fighting over (see
 * DriftBackoff) and reports the fights: once as a Warning Event when one starts, and in status
 * for as long as it lasts. A deleted auth Secret is always recreated: pods cannot start without it.
 */
async function holdBackFights(plan: ReconcilePlan, agentKey: string, deps: ReconcileDeps, now: Date) {
  const fights: FightReport[] = [];
  const held = new Set<object>();
  for (const report of plan.drift) {
    if (report.kind === "Secret") continue;
    const object = `${report.kind}/${report.name}`;
    const fields = report.missing ? ["missing"] : report.fields.map((field) => field.path);
    const decision = deps.driftBackoff.decide(`${agentKey}/${object}`, fields, now.getTime());
    if (decision.repair) continue;
    held.add(report.declared);
    if (decision.startedFight) {
      const managers = await otherManagers(deps, report.declared);
      deps.driftBackoff.setManagers(`${agentKey}/${object}`, managers);
      deps.metrics.driftFights.inc({ kind: report.kind });
      plan.events.push({
        type: "Warning",
        reason: REASONS.driftFight,
        message: `${describeFight({ ...decision.fight, object, managers })}; next repair in ${Math.round(decision.pauseMs / 1000)}s`,
      });
    }
    fights.push({ object, fields: decision.fight.fields, managers: decision.fight.managers });
  }
  plan.drift = plan.drift.filter((report) => !held.has(report.declared));
  plan.apply = plan.apply.filter((object) => !held.has(object));
  // Route weights are repaired by their own patch, not by an apply.
  if (plan.routeWeights && [...held].some((object) => (object as KubeObject).kind === "HTTPRoute"))
    plan.routeWeights = undefined;
  return fights;
}

/** Who else wrote the object, most recent first, from its managedFields (not kept in the caches). */
async function otherManagers(deps: ReconcileDeps, declared: KubeObject): Promise<string[]> {
  if (!isKnownKind(declared.kind)) return [];
  try {
    const live = await deps.api.get<{ metadata: { managedFields?: ManagedFieldsEntry[] } }>(
      resourcePath(declared.kind, { namespace: declared.metadata.namespace, name: declared.metadata.name }),
    );
    const entries = (live?.metadata.managedFields ?? [])
      .filter((entry) => entry.manager && entry.manager !== FIELD_MANAGER && !entry.subresource)
      .sort((a, b) => (b.time ?? "").localeCompare(a.time ?? ""));
    return [...new Set(entries.map((entry) => entry.manager ?? ""))];
  } catch (error) {
    deps.log.debug({ err: error }, "could not read managedFields");
    return [];
  }
}

interface ManagedFieldsEntry {
  manager?: string;
  time?: string;
  subresource?: string;
}

/** One Event per repaired object naming the fields, so people learn who fought whom. */
function reportRepairs(drift: readonly DriftReport[], deps: ReconcileDeps): RolloutEvent[] {
  return drift.map((report) => {
    deps.metrics.driftRepairs.inc({ kind: report.kind });
    const fields = report.fields.map((field) => field.path);
    deps.log.info(
      { kind: report.kind, name: report.name, fields, missing: report.missing },
      "repaired drift",
    );
    const what = report.missing
      ? report.kind === "Secret"
        ? "was deleted; created it again with a new key, which rolls out a new revision"
        : "was deleted or lost its agentry labels; applied it again"
      : `differed from its declaration in ${fields.join(", ")}; applied it again`;
    return {
      type: "Normal" as const,
      reason: REASONS.driftRepaired,
      message: `${report.kind} ${report.name} ${what}`,
    };
  });
}

/**
 * The HTTPRoute a canary sets weights on, from the cache where the Gateway API is served, else
 * read from the API server; null when it does not exist, undefined when the agent uses none.
 */
async function readHttpRoute(
  deps: ReconcileDeps,
  agent: AgentDeployment,
): Promise<HttpRoute | null | undefined> {
  const route = httpRouteOf(agent);
  if (!route) return undefined;
  const namespace = agent.metadata.namespace ?? "default";
  if (deps.caches.httpRoutes) {
    const cached = deps.recent.resolve(
      "HTTPRoute",
      namespace,
      route,
      deps.caches.httpRoutes.get(namespace, route),
    );
    return (cached as HttpRoute | undefined) ?? null;
  }
  return (await deps.api.get<HttpRoute>(resourcePath("HTTPRoute", { namespace, name: route }))) ?? null;
}

/** agentry_rollouts_total and agentry_rollout_duration_seconds, from the outcome the status records. */
function countRollouts(deps: ReconcileDeps, agent: AgentDeployment, plan: ReconcilePlan, now: Date) {
  const before = agent.status?.history?.[0];
  const after = plan.status.history?.[0];
  if (!after || after.outcome === "Progressing") return;
  if (before?.revision === after.revision && before.outcome === after.outcome) return;
  // The first revision of an agent is a creation, not a rollout.
  if (after.outcome === "Promoted" && (plan.status.history?.length ?? 0) < 2) return;
  const strategy = agent.spec.strategy.type;
  deps.metrics.rollouts.inc({ strategy, outcome: after.outcome });
  const seconds = (Date.parse(after.finishedAt ?? kubeTime(now)) - Date.parse(after.startedAt)) / 1000;
  if (Number.isFinite(seconds) && seconds >= 0)
    deps.metrics.rolloutDuration.observe({ strategy, outcome: after.outcome }, seconds);
  const superseded = plan.status.history?.[1];
  if (
    superseded?.outcome === "Superseded" &&
    before?.revision === superseded.revision &&
    before.outcome === "Progressing"
  )
    deps.metrics.rollouts.inc({ strategy, outcome: "Superseded" });
}

/** What the caches keep of an object: no managedFields, Secret values hashed. */
function forCache(kind: string, object: KubeObject): KubeObject {
  return kind === "Secret" ? withHashedData(object as Secret) : withoutManagedFields(object);
}

async function writeInvalidSpecStatus(deps: ReconcileDeps, raw: KubeObject, message: string, now: Date) {
  // The spec failed to parse, so the status arrives raw: parse it alone (a broken one counts as none).
  const parsedStatus = agentDeploymentStatus.safeParse((raw as { status?: unknown }).status);
  const previous: AgentDeploymentStatus = parsedStatus.success ? parsedStatus.data : {};
  const outcome = invalidSpecOutcome(previous, message, raw.metadata.generation, now);
  await writeStatusIfChanged(deps, raw, previous, outcome.status);
  await emitEvents(deps, raw, outcome.events, now);
}

async function emitEvents(deps: ReconcileDeps, raw: KubeObject, events: RolloutEvent[], now: Date) {
  for (const event of events) {
    try {
      await recordEvent(deps.api, raw, event, deps.identity, now);
    } catch (error) {
      // An Event is a notification; losing one must not fail the reconcile.
      deps.log.warn({ err: error, reason: event.reason }, "could not record event");
    }
  }
}
