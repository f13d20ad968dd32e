import type { z } from "zod";
import { nextRequeueMs, recordMeasurements, startAnalysis } from "../analysis/analysis-progress.ts";
import { parseDurationMs } from "../api/primitives.ts";
import type { canarySpec } from "../api/strategy-spec.ts";
import { analysisEvents } from "./analysis-events.ts";
import type { AnalysisSpec, AnalysisStatus } from "./analysis-gate.ts";
import { queryErrorNote } from "./analysis-query-error.ts";
import { canaryReplicaSplit } from "./canary-replicas.ts";
import { kubeTime } from "./kube-time.ts";
import { plural } from "./plural.ts";
import type { RevisionReplicas } from "./rolling-update.ts";
import {
  type Abort,
  SETTLE_RECHECK_MS,
  type StrategyDecision,
  type StrategyInput,
  type StrategyOutcome,
} from "./rollout-step.ts";
import { REASONS } from "./status/reasons.ts";

export type { Abort };

import type { RolloutEvent } from "./rollout-event.ts";

export type CanarySpec = z.output<typeof canarySpec>;
type CanaryStep = CanarySpec["steps"][number];

export interface CanaryProgress {
  currentStepIndex?: number;
  stepCount?: number;
  weight?: number;
  stepStartedAt?: string;
  pausedAt?: string;
  analysis?: AnalysisStatus;
  backgroundAnalysis?: AnalysisStatus;
}

export interface CanaryInput extends StrategyInput {
  spec: CanarySpec;
  stable: RevisionReplicas;
  update: RevisionReplicas;
  /** Progress persisted for this very revision; undefined when its rollout starts now. */
  previous: CanaryProgress | undefined;
}

export interface CanaryDecision extends StrategyDecision {
  replicas: { stable: number; update: number };
  progress: CanaryProgress;
  /** Exact traffic weight for a router; with an abort, 0. */
  weight: number;
}

/**
 * One reconcile of a canary rollout: which step it is at, whether that step is done, the pods of
 * each side and what to tell. Pure: the controller took any due analysis measurements already.
 *
 * Steps run in order; `setWeight` is done when the canary has its pods available (and the stable
 * side gave up its share), a `pause` when its duration passed or on promote, an `analysis` when
 * it succeeds. Several steps can pass in one reconcile. After the last step the canary takes all
 * traffic. A failed analysis, an abort annotation or (with progressDeadlineAbort) a missed
 * progress deadline aborts: weight 0, the stable side back to full, the canary scaled down after
 * abortScaleDownDelaySeconds, and it stays aborted until a retry or a new revision.
 */
/**
 * A canary's reconcile as every strategy answers it. With a router (trafficRouting) the route is
 * the only way to the canary, so Service NAME stays on stable; after an abort, too.
 */
export function canaryOutcome(input: CanaryInput, routed: boolean): StrategyOutcome {
  const canary = decideCanary(input);
  return {
    targets: new Map([
      [input.stable.revision, canary.replicas.stable],
      [input.update.revision, canary.replicas.update],
    ]),
    complete: canary.complete,
    rollout: {
      message: canary.message,
      waiting: canary.waiting,
      abort: canary.abort,
      canary: canary.progress,
    },
    serviceRevision: canary.abort || routed ? input.stable.revision : undefined,
    routeWeight: canary.weight,
    events: canary.events,
    requeueAfterMs: canary.requeueAfterMs,
  };
}

export function decideCanary(input: CanaryInput): CanaryDecision {
  const { spec, desired, now, actions } = input;
  const steps = spec.steps;
  const events: RolloutEvent[] = [];
  const time = kubeTime(now);
  let progress: CanaryProgress = input.previous
    ? { ...input.previous, stepCount: steps.length }
    : { currentStepIndex: 0, stepCount: steps.length, weight: 0, stepStartedAt: time };
  let abort = input.previousAbort;
  let requeue: number | undefined;
  const soonest = (ms: number | undefined) => {
    if (ms !== undefined) requeue = requeue === undefined ? ms : Math.min(requeue, ms);
  };

  if (abort && actions.retry) {
    abort = undefined;
    progress = { currentStepIndex: 0, stepCount: steps.length, weight: 0, stepStartedAt: time };
    events.push({
      type: "Normal",
      reason: REASONS.rolloutRetried,
      message: `retrying revision ${input.update.revision} from step 1`,
    });
  }
  if (!abort && actions.abort) {
    abort = { at: time, message: "aborted by the agentry.dev/abort annotation" };
  }
  if (!abort && input.deadlineExceeded && input.progressDeadlineAbort) {
    abort = { at: time, message: `progress deadline exceeded: ${input.deadlineExceeded}` };
  }

  // Background analysis: from the first step until the canary takes all traffic.
  let backgroundWaits = false;
  if (!abort && spec.analysis && (progress.currentStepIndex ?? 0) < steps.length) {
    let background = progress.backgroundAnalysis ?? startAnalysis(spec.analysis, now);
    if (
      (background.phase === "Inconclusive" || background.phase === "Error") &&
      (actions.promote || actions.promoteFull)
    ) {
      background = startAnalysis(spec.analysis, now);
    }
    const taken = input.measurements.background;
    if (taken && !input.paused) {
      background = recordMeasurements(background, spec.analysis, taken, now, { background: true });
      events.push(
        ...analysisEvents("background analysis", progress.backgroundAnalysis, background, spec.analysis),
      );
    }
    progress = { ...progress, backgroundAnalysis: background };
    if (background.phase === "Failed") {
      abort = { at: time, message: `background analysis failed: ${background.message ?? ""}`.trim() };
    } else if (background.phase === "Inconclusive" || background.phase === "Error") {
      backgroundWaits = true;
    } else {
      soonest(nextRequeueMs(background, now));
    }
  }

  if (abort) return abortedDecision(input, progress, abort, events, requeue);

  let index = progress.currentStepIndex ?? 0;
  let weight = progress.weight ?? 0;
  let waitingFor: string | undefined;
  let waiting = backgroundWaits;
  const advance = (why: string) => {
    const step = steps[index];
    index += 1;
    progress = {
      ...progress,
      currentStepIndex: index,
      stepStartedAt: time,
      pausedAt: undefined,
      analysis: step?.analysis ? progress.analysis : undefined,
    };
    events.push({
      type: "Normal",
      reason: REASONS.canaryStepCompleted,
      message: `step ${index}/${steps.length} (${describeStep(step)}) ${why}${index < steps.length ? `; next: step ${index + 1}/${steps.length} (${describeStep(steps[index])})` : `; revision ${input.update.revision} takes all traffic`}`,
    });
  };

  if (!input.paused && index < steps.length) {
    if (actions.promoteFull) {
      index = steps.length;
      progress = { ...progress, currentStepIndex: index, stepStartedAt: time, pausedAt: undefined };
      events.push({
        type: "Normal",
        reason: REASONS.promotedFull,
        message: `promoted fully: revision ${input.update.revision} skips the remaining steps and takes all traffic`,
      });
    } else if (actions.promote) {
      advance("promoted by the agentry.dev/promote annotation");
    }
  }

  while (!input.paused && !backgroundWaits && index < steps.length) {
    const step = steps[index] as CanaryStep;
    if (step.setWeight !== undefined) {
      weight = step.setWeight;
      const split = splitAt(weight);
      const ready = input.update.available >= split.canary && input.stable.replicas <= split.stable;
      if (!ready) {
        waitingFor = `${input.update.available}/${split.canary} canary pods available`;
        soonest(SETTLE_RECHECK_MS);
        break;
      }
      advance("reached");
      continue;
    }
    if (step.pause) {
      const startedAt = progress.stepStartedAt ?? time;
      progress = { ...progress, pausedAt: progress.pausedAt ?? startedAt };
      if (step.pause.duration === undefined) {
        waiting = true;
        waitingFor = "paused until promoted (annotate agentry.dev/promote)";
        break;
      }
      const until = Date.parse(startedAt) + parseDurationMs(step.pause.duration);
      if (now.getTime() < until) {
        waiting = true;
        waitingFor = `paused until ${kubeTime(new Date(until))}`;
        soonest(until - now.getTime());
        break;
      }
      advance("pause ended");
      continue;
    }
    if (step.analysis) {
      const spec_ = step.analysis as AnalysisSpec;
      let current = progress.analysis ?? startAnalysis(spec_, now);
      const taken = input.measurements.step;
      if (taken && current.phase !== "Successful" && current.phase !== "Failed") {
        const before = current;
        current = recordMeasurements(current, spec_, taken, now, { background: false });
        events.push(...analysisEvents(`step ${index + 1} analysis`, before, current, spec_));
      }
      progress = { ...progress, analysis: current };
      if (current.phase === "Successful") {
        advance("analysis passed");
        continue;
      }
      if (current.phase === "Failed") {
        const failed = {
          at: time,
          message: `step ${index + 1} analysis failed: ${current.message ?? ""}`.trim(),
        };
        return abortedDecision(input, progress, failed, events, requeue);
      }
      if (current.phase === "Inconclusive" || current.phase === "Error") {
        waiting = true;
        waitingFor = `step ${index + 1} analysis inconclusive (${current.message ?? "no data"}); annotate agentry.dev/promote to go on or agentry.dev/abort`;
        break;
      }
      waitingFor =
        queryErrorNote(`step ${index + 1} analysis`, current, spec_) ??
        `step ${index + 1} analysis running (${plural(current.measurements ?? 0, "measurement")})`;
      soonest(nextRequeueMs(current, now));
      break;
    }
    break;
  }
  progress = { ...progress, currentStepIndex: index };

  if (index >= steps.length) weight = 100;
  progress = { ...progress, weight };
  const split = splitAt(weight);
  const complete =
    index >= steps.length &&
    input.update.available >= desired &&
    split.stable === 0 &&
    input.stable.replicas === 0;
  if (!complete && index >= steps.length) soonest(SETTLE_RECHECK_MS);
  if (index >= steps.length) progress = { ...progress, analysis: undefined, pausedAt: undefined };

  const backgroundQueryError = queryErrorNote(
    "background analysis",
    progress.backgroundAnalysis,
    spec.analysis,
  );
  const where =
    index >= steps.length
      ? `promoting revision ${input.update.revision}: ${input.update.available}/${desired} available`
      : `canary step ${index + 1}/${steps.length} (${describeStep(steps[index])}): weight ${weight}%`;
  const message = input.paused
    ? `paused by spec.paused at ${where}`
    : backgroundWaits
      ? `${where}; background analysis inconclusive (${progress.backgroundAnalysis?.message ?? "no data"}); annotate agentry.dev/promote to go on or agentry.dev/abort`
      : [waitingFor ? `${where}, ${waitingFor}` : where, backgroundQueryError].filter(Boolean).join("; ");
  return {
    replicas: { stable: split.stable, update: split.canary },
    progress,
    abort: undefined,
    complete,
    waiting: waiting || input.paused,
    stalled: input.deadlineExceeded,
    message,
    events,
    requeueAfterMs: requeue,
    weight,
  };

  function splitAt(forWeight: number) {
    return canaryReplicaSplit({
      desired,
      weight: forWeight,
      canaryAvailable: input.update.available,
      trafficRouted: spec.trafficRouting !== undefined,
    });
  }
}

/** Weight 0, the stable side back to full, the canary kept only for abortScaleDownDelaySeconds. */
function abortedDecision(
  input: CanaryInput,
  progress: CanaryProgress,
  abort: Abort,
  events: RolloutEvent[],
  requeue: number | undefined,
): CanaryDecision {
  const { now, desired, spec } = input;
  if (input.previousAbort?.at !== abort.at) {
    events.push({
      type: "Warning",
      reason: REASONS.rolloutAborted,
      message: `revision ${input.update.revision} aborted: ${abort.message}; revision ${input.stable.revision} takes all traffic`,
    });
  }
  const scaleDownAt = Date.parse(abort.at) + spec.abortScaleDownDelaySeconds * 1000;
  const keep = now.getTime() < scaleDownAt;
  const wait = keep ? scaleDownAt - now.getTime() : undefined;
  return {
    replicas: { stable: desired, update: keep ? input.update.replicas : 0 },
    progress: { ...progress, weight: 0, pausedAt: undefined },
    abort,
    complete: false,
    waiting: false,
    stalled: undefined,
    message:
      `rollout of revision ${input.update.revision} aborted (${abort.message}); revision ${input.stable.revision} ` +
      "serves all traffic; annotate agentry.dev/retry to try again, or change the spec",
    events,
    requeueAfterMs: requeue === undefined ? wait : Math.min(requeue, wait ?? requeue),
    weight: 0,
  };
}

/** "setWeight 25", "pause 2s", "pause", "analysis"; "done" past the last step. */
export function describeStep(step: Pick<CanaryStep, "setWeight" | "pause"> | undefined): string {
  if (!step) return "done";
  if (step.setWeight !== undefined) return `setWeight ${step.setWeight}`;
  if (step.pause) return step.pause.duration === undefined ? "pause" : `pause ${step.pause.duration}`;
  return "analysis";
}
