import type { AgentDeployment, AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import { canarySpec } from "../../api/strategy-spec.ts";
import type { RolloutSummary } from "../rollout-step.ts";
import { canaryStepLabel } from "./canary-step-label.ts";

const DEFAULT_CANARY = canarySpec.parse({});

/** status.canary / blueGreen / aborted for the strategy in force, in steady state as in a rollout. */
export function rolloutStatus(
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
