import type { AnalysisOps, TakenMeasurements } from "./analysis-gate.ts";
import type { RolloutActions } from "./rollout-actions.ts";
import type { RolloutEvent } from "./rollout-event.ts";

/** An abort persisted in status: when, and why in words. */
export interface Abort {
  at: string;
  message: string;
}

/** What every progressive strategy (canary, blue-green) is given for one reconcile. */
export interface StrategyInput {
  desired: number;
  /** spec.paused: hold where the rollout is. */
  paused: boolean;
  now: Date;
  /** The abort persisted for this very revision. */
  previousAbort: Abort | undefined;
  actions: RolloutActions;
  /** The update revision's Deployment passed its progress deadline (the message says how). */
  deadlineExceeded: string | undefined;
  progressDeadlineAbort: boolean;
  measurements: TakenMeasurements;
  analysis: AnalysisOps;
}

/** What every progressive strategy decides, besides its own replicas and progress. */
export interface StrategyDecision {
  abort: Abort | undefined;
  /** The update revision serves alone with every pod available; the old one is gone. */
  complete: boolean;
  /** The rollout waits for a person or a clock: phase Paused. */
  waiting: boolean;
  /** Progress deadline passed without progressDeadlineAbort: the agent is stalled. */
  stalled: string | undefined;
  message: string;
  events: RolloutEvent[];
  requeueAfterMs: number | undefined;
}

/** Looks at pods that are still coming or going again this soon. */
export const SETTLE_RECHECK_MS = 5_000;
