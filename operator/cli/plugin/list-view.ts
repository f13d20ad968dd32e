import { canaryStepLabel } from "../../reconcile/status/canary-step-label.ts";
import { type AgentObject, strategyOf } from "./agent-snapshot.ts";
import { textTable } from "./text-table.ts";

/** `list`: one line per agent, the columns a rollout is judged by. Pure. */
export function listView(agents: readonly AgentObject[], now: Date): string[] {
  if (agents.length === 0) return ["No AgentDeployments found."];
  const sorted = [...agents].sort(
    (a, b) =>
      (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
  return textTable([
    ["NAMESPACE", "NAME", "STRATEGY", "PHASE", "READY", "STEP", "WEIGHT", "STABLE", "UPDATE", "AGE"],
    ...sorted.map((agent) => {
      const status = agent.status ?? {};
      const canary = strategyOf(agent) === "Canary" ? status.canary : undefined;
      const step = canaryStepLabel(canary?.currentStepIndex, canary?.stepCount) ?? "-";
      return [
        agent.metadata.namespace ?? "",
        agent.metadata.name,
        strategyOf(agent),
        status.phase ?? "Unknown",
        `${status.readyReplicas ?? 0}/${agent.spec?.replicas ?? "?"}`,
        step,
        canary?.weight === undefined ? "-" : `${canary.weight}%`,
        status.stableRevision ?? "-",
        status.updateRevision ?? "-",
        age(agent.metadata.creationTimestamp, now),
      ];
    }),
  ]);
}

/** kubectl's short ages: 45s, 12m, 5h, 3d. */
export function age(since: string | undefined, now: Date): string {
  if (!since) return "-";
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 120 * 60) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
