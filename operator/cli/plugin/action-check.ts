import type { ANNOTATIONS } from "../../api/constants.ts";
import { type AgentObject, strategyOf } from "./agent-snapshot.ts";

export type RolloutAction = keyof typeof ANNOTATIONS;

/**
 * Why an action would do nothing, judged from a status that describes the current spec; undefined
 * when it applies (or when the operator has not caught up yet, and only it can tell). The
 * operator would remove the annotation with an ActionIgnored Event: saying so before is kinder.
 */
export function actionProblem(agent: AgentObject, action: RolloutAction): string | undefined {
  if (action === "restart") return undefined;
  const name = agent.metadata.name;
  const strategy = strategyOf(agent);
  if (strategy === "RollingUpdate")
    return `${name} rolls out with RollingUpdate; ${action === "promoteFull" ? "promote" : action} acts on Canary and BlueGreen rollouts only`;
  const status = agent.status;
  if (!status || status.observedGeneration !== agent.metadata.generation) return undefined;
  const inProgress =
    status.updateRevision !== undefined &&
    status.stableRevision !== undefined &&
    status.updateRevision !== status.stableRevision;
  if (action === "retry")
    return status.aborted ? undefined : `the rollout of ${name} is not aborted; there is nothing to retry`;
  if (!inProgress)
    return `no rollout of ${name} is in progress: revision ${status.stableRevision ?? status.updateRevision ?? "?"} serves all traffic`;
  if (status.aborted && action === "abort") return `the rollout of ${name} is already aborted`;
  if (status.aborted)
    return `the rollout of revision ${status.updateRevision} is aborted; \`kubectl agentry retry ${name}\` starts it again`;
  return undefined;
}
