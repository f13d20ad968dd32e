import type { Logger } from "pino";
import type { AgentDeploymentStatus } from "../api/agent-deployment.ts";
import { FIELD_MANAGER } from "../api/constants.ts";
import { formatIssuePath, parseAgentDeployment } from "../api/parse-agent-deployment.ts";
import { agentDeploymentStatus } from "../api/status.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import { KubeApiError } from "../kube/kube-api-error.ts";
import type { KubeObject } from "../kube/objects.ts";
import { resourcePath } from "../kube/resources.ts";
import { REASONS } from "../reconcile/conditions.ts";
import { planReconcile, type ReconcileConfig, type RolloutEvent } from "../reconcile/plan-reconcile.ts";
import { canonicalJson } from "../reconcile/revision.ts";
import { isNewStall, stalledStatus } from "../reconcile/stalled-status.ts";
import { executePlan, recordEvent } from "./execute-plan.ts";
import { type Caches, observeAgent } from "./observe-agent.ts";

export interface ReconcileDeps {
  api: KubeApi;
  caches: Caches;
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
  const raw = deps.caches.agents.get(namespace, name) as (KubeObject & { status?: unknown }) | undefined;
  if (!raw || raw.metadata.deletionTimestamp) return { result: "gone" };
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
  const plan = planReconcile(observeAgent(agent, deps.caches), deps.config, now, deps.generateKey);

  try {
    await executePlan(deps.api, namespace, plan);
  } catch (error) {
    if (!(error instanceof KubeApiError) || error.status >= 500 || error.isConflict) throw error;
    // The API server refused what the spec asked for (e.g. an invalid affinity passed through):
    // say so on the agent and retry with backoff; what already runs stays.
    const blocked = { reason: REASONS.applyFailed, message: error.message };
    plan.blocked = blocked;
    plan.events = isNewStall(agent.status ?? {}, blocked) ? [{ type: "Warning", ...blocked }] : [];
    plan.status = stalledStatus(plan.status, agent.status ?? {}, blocked, agent.metadata.generation, now);
  }

  await writeStatusIfChanged(deps, raw, agent.status, plan.status);
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
  await deps.api.replace(path, { ...raw, status: normalized }, FIELD_MANAGER);
}

async function writeInvalidSpecStatus(deps: ReconcileDeps, raw: KubeObject, message: string, now: Date) {
  // The spec failed to parse, so the status arrives raw: parse it alone (a broken one counts as none).
  const parsedStatus = agentDeploymentStatus.safeParse((raw as { status?: unknown }).status);
  const previous: AgentDeploymentStatus = parsedStatus.success ? parsedStatus.data : {};
  const blocked = { reason: REASONS.invalidSpec, message: `invalid spec: ${message}` };
  await writeStatusIfChanged(
    deps,
    raw,
    previous,
    stalledStatus(previous, previous, blocked, raw.metadata.generation, now),
  );
  if (isNewStall(previous, blocked)) await emitEvents(deps, raw, [{ type: "Warning", ...blocked }], now);
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
