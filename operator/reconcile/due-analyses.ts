import { measurementDue } from "../analysis/analysis-progress.ts";
import type { AgentDeployment } from "../api/agent-deployment.ts";
import type { AnalysisSlot, AnalysisSpec } from "./analysis-gate.ts";

/** An analysis whose next measurement round is due, and whose pods it measures. */
export interface DueAnalysis {
  slot: AnalysisSlot;
  spec: AnalysisSpec;
  canaryRevision: string;
  stableRevision: string | undefined;
}

/**
 * The analyses of a rollout in progress whose next round is due now, from the persisted status:
 * the current canary step's analysis, the canary's background analysis, or the blue-green pre- or
 * post-promotion analysis. Nothing while paused or aborted.
 */
export function dueAnalyses(agent: AgentDeployment, now: Date): DueAnalysis[] {
  const { spec, status } = agent;
  if (!status || spec.paused || status.aborted) return [];
  const update = status.updateRevision;
  const stable = status.stableRevision;
  if (!update || update === stable) return [];
  const due: DueAnalysis[] = [];
  const add = (
    slot: AnalysisSlot,
    analysis: AnalysisSpec | undefined,
    state: Parameters<typeof measurementDue>[0] | undefined,
  ) => {
    if (analysis && state && measurementDue(state, analysis, now))
      due.push({ slot, spec: analysis, canaryRevision: update, stableRevision: stable });
  };
  if (spec.strategy.type === "Canary" && spec.strategy.canary && status.canary) {
    const step = spec.strategy.canary.steps[status.canary.currentStepIndex ?? 0];
    add("step", step?.analysis, status.canary.analysis);
    add("background", spec.strategy.canary.analysis, status.canary.backgroundAnalysis);
  }
  if (
    spec.strategy.type === "BlueGreen" &&
    spec.strategy.blueGreen &&
    status.blueGreen?.previewRevision === update
  ) {
    const { blueGreen } = spec.strategy;
    const analysis = status.blueGreen.promotedAt
      ? blueGreen.postPromotionAnalysis
      : blueGreen.prePromotionAnalysis;
    add("blueGreen", analysis, status.blueGreen.analysis);
  }
  return due;
}
