import type { AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import { HISTORY_LIMIT } from "../../api/constants.ts";
import { kubeTime } from "../kube-time.ts";
import type { Abort } from "../rollout-step.ts";

/**
 * status.history, newest first, at most HISTORY_LIMIT: a revision starts Progressing, ends
 * Promoted, Aborted or Superseded (a newer one started first); a retry makes an aborted one
 * Progressing again.
 */
export function nextHistory(
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
