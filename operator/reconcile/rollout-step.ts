import type { AgentDeploymentStatus } from "../api/agent-deployment.ts";
import type { TakenMeasurements } from "./analysis-gate.ts";
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

/** What a canary or blue-green rollout says about itself, for the status. */
export interface RolloutSummary {
  message: string;
  /** Waiting for a person or a clock: phase Paused. */
  waiting: boolean;
  abort: Abort | undefined;
  canary?: AgentDeploymentStatus["canary"];
  blueGreen?: AgentDeploymentStatus["blueGreen"];
}

/** What every strategy (rolling update, canary, blue-green) answers for one reconcile. */
export interface StrategyOutcome {
  /** spec.replicas of each revision's Deployment; a revision not named keeps its count. */
  targets: Map<string, number>;
  /** The update revision serves alone with every pod available. */
  complete: boolean;
  /** Canary or blue-green progress; undefined for rolling updates and when no rollout runs. */
  rollout: RolloutSummary | undefined;
  /** The revision Service NAME selects; undefined: every live revision. */
  serviceRevision: string | undefined;
  /** Percent of traffic a router sends to the update revision; 0 outside a canary. */
  routeWeight: number;
  events: RolloutEvent[];
  requeueAfterMs: number | undefined;
}
