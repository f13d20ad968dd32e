import type { z } from "zod";
import { nextRequeueMs, recordMeasurements, startAnalysis } from "../analysis/analysis-progress.ts";
import type { blueGreenSpec } from "../api/strategy-spec.ts";
import { analysisEvents } from "./analysis-events.ts";
import type { AnalysisSpec, AnalysisStatus } from "./analysis-gate.ts";
import { queryErrorNote } from "./analysis-query-error.ts";
import { kubeTime } from "./kube-time.ts";
import { plural } from "./plural.ts";
import type { RevisionReplicas } from "./rolling-update.ts";
import type { RolloutEvent } from "./rollout-event.ts";
import {
  SETTLE_RECHECK_MS,
  type StrategyDecision,
  type StrategyInput,
  type StrategyOutcome,
} from "./rollout-step.ts";
import { REASONS } from "./status/reasons.ts";

export type BlueGreenSpec = z.output<typeof blueGreenSpec>;

export interface BlueGreenProgress {
  activeRevision?: string;
  previewRevision?: string;
  previewReadyAt?: string;
  promotingAt?: string;
  promotedAt?: string;
  scaleDownAt?: string;
  analysis?: AnalysisStatus;
}

export interface BlueGreenInput extends StrategyInput {
  spec: BlueGreenSpec;
  /** The revision behind Service NAME before this rollout. */
  active: RevisionReplicas;
  /** The revision the spec asks for, behind NAME-preview until promoted. */
  preview: RevisionReplicas;
  /** Progress persisted for this very preview revision; undefined when its rollout starts now. */
  previous: BlueGreenProgress | undefined;
}

export interface BlueGreenDecision extends StrategyDecision {
  replicas: { active: number; preview: number };
  /** Revision Service NAME selects. */
  serviceRevision: string;
  progress: BlueGreenProgress;
}

/** A blue-green reconcile as every strategy answers it. */
export function blueGreenOutcome(input: BlueGreenInput): StrategyOutcome {
  const blueGreen = decideBlueGreen(input);
  return {
    targets: new Map([
      [input.active.revision, blueGreen.replicas.active],
      [input.preview.revision, blueGreen.replicas.preview],
    ]),
    complete: blueGreen.complete,
    rollout: {
      message: blueGreen.message,
      waiting: blueGreen.waiting,
      abort: blueGreen.abort,
      blueGreen: blueGreen.progress,
    },
    serviceRevision: blueGreen.serviceRevision,
    routeWeight: 0,
    events: blueGreen.events,
    requeueAfterMs: blueGreen.requeueAfterMs,
  };
}

/**
 * One reconcile of a blue-green rollout. The new revision runs behind NAME-preview with
 * previewReplicas pods; once they are available the pre-promotion analysis runs; promotion comes
 * automatically (at once or autoPromotionSeconds later) or by the promote annotation; it scales
 * the preview to the full count and then switches Service NAME's selector to it in one write. The
 * old revision keeps its pods through the post-promotion analysis and scaleDownDelaySeconds, so a
 * failed post-promotion analysis switches straight back. An abort points NAME at the old revision
 * and scales the preview down after abortScaleDownDelaySeconds.
 */
export function decideBlueGreen(input: BlueGreenInput): BlueGreenDecision {
  const { spec, desired, now, actions, active, preview } = input;
  const time = kubeTime(now);
  const events: RolloutEvent[] = [];
  let requeue: number | undefined;
  const soonest = (ms: number | undefined) => {
    if (ms !== undefined) requeue = requeue === undefined ? ms : Math.min(requeue, ms);
  };
  let progress: BlueGreenProgress = input.previous ?? {
    activeRevision: active.revision,
    previewRevision: preview.revision,
  };
  let abort = input.previousAbort;
  if (abort && actions.retry) {
    abort = undefined;
    progress = { activeRevision: active.revision, previewRevision: preview.revision };
    events.push({
      type: "Normal",
      reason: REASONS.rolloutRetried,
      message: `retrying revision ${preview.revision}`,
    });
  }
  if (!abort && actions.abort) abort = { at: time, message: "aborted by the agentry.dev/abort annotation" };
  if (!abort && input.deadlineExceeded && input.progressDeadlineAbort && !progress.promotedAt) {
    abort = { at: time, message: `progress deadline exceeded: ${input.deadlineExceeded}` };
  }
  const previewTarget = Math.min(desired, spec.previewReplicas ?? desired);

  if (!abort && !input.paused) {
    if (!progress.previewReadyAt && preview.available >= previewTarget) {
      progress = { ...progress, previewReadyAt: time };
      events.push({
        type: "Normal",
        reason: REASONS.previewReady,
        message: `revision ${preview.revision} is ready behind the preview Service (${preview.available} available)`,
      });
    }
    if (progress.previewReadyAt && !progress.promotedAt) {
      const verdict = runAnalysis("pre-promotion analysis", spec.prePromotionAnalysis, actions.promoteFull);
      if (verdict === "Failed")
        abort = {
          at: time,
          message: `pre-promotion analysis failed: ${progress.analysis?.message ?? ""}`.trim(),
        };
      const analysisPassed = verdict === "Passed" || (verdict === "Inconclusive" && actions.promote);
      const autoAt = Date.parse(progress.previewReadyAt) + (spec.autoPromotionSeconds ?? 0) * 1000;
      const auto = spec.autoPromotionEnabled && now.getTime() >= autoAt;
      if (spec.autoPromotionEnabled && now.getTime() < autoAt) soonest(autoAt - now.getTime());
      const promoteNow =
        !abort &&
        (progress.promotingAt !== undefined ||
          actions.promoteFull ||
          (analysisPassed && (auto || actions.promote)));
      if (promoteNow && !progress.promotingAt) progress = { ...progress, promotingAt: time };
      if (promoteNow && preview.available >= desired) {
        const scaleDownAt = new Date(now.getTime() + spec.scaleDownDelaySeconds * 1000);
        progress = {
          ...progress,
          activeRevision: preview.revision,
          promotedAt: time,
          scaleDownAt: kubeTime(scaleDownAt),
          analysis: undefined,
        };
        events.push({
          type: "Normal",
          reason: REASONS.promoted,
          message: `Service switched to revision ${preview.revision}; revision ${active.revision} stays up until ${kubeTime(scaleDownAt)}`,
        });
      } else if (promoteNow) {
        soonest(SETTLE_RECHECK_MS);
      }
    }
    if (!abort && progress.promotedAt) {
      const verdict = runAnalysis("post-promotion analysis", spec.postPromotionAnalysis, false);
      if (verdict === "Failed") {
        abort = {
          at: time,
          message: `post-promotion analysis failed: ${progress.analysis?.message ?? ""}`.trim(),
        };
        progress = {
          ...progress,
          activeRevision: active.revision,
          promotedAt: undefined,
          scaleDownAt: undefined,
        };
      }
    }
  }

  if (abort) {
    if (input.previousAbort?.at !== abort.at) {
      events.push({
        type: "Warning",
        reason: REASONS.rolloutAborted,
        message: `revision ${preview.revision} aborted: ${abort.message}; Service stays on revision ${active.revision}`,
      });
    }
    const scaleDownAt = Date.parse(abort.at) + spec.abortScaleDownDelaySeconds * 1000;
    const keep = now.getTime() < scaleDownAt;
    if (keep) soonest(scaleDownAt - now.getTime());
    return {
      replicas: { active: desired, preview: keep ? preview.replicas : 0 },
      serviceRevision: active.revision,
      progress: {
        ...progress,
        activeRevision: active.revision,
        promotedAt: undefined,
        scaleDownAt: undefined,
      },
      abort,
      complete: false,
      waiting: false,
      stalled: undefined,
      message:
        `rollout of revision ${preview.revision} aborted (${abort.message}); revision ${active.revision} serves all ` +
        "traffic; annotate agentry.dev/retry to try again, or change the spec",
      events,
      requeueAfterMs: requeue,
    };
  }

  const promoted = progress.promotedAt !== undefined;
  const promoting = progress.promotingAt !== undefined && !promoted;
  const postDone = !spec.postPromotionAnalysis || progress.analysis?.phase === "Successful";
  const scaleDownAt = progress.scaleDownAt ? Date.parse(progress.scaleDownAt) : undefined;
  const oldCanGo = promoted && postDone && scaleDownAt !== undefined && now.getTime() >= scaleDownAt;
  if (promoted && postDone && scaleDownAt !== undefined && !oldCanGo) soonest(scaleDownAt - now.getTime());
  const replicas = {
    active: oldCanGo ? 0 : desired,
    preview: promoted || promoting ? desired : previewTarget,
  };
  const complete = oldCanGo && active.replicas === 0 && preview.available >= desired;
  if (!complete) soonest(SETTLE_RECHECK_MS);

  let message: string;
  let waiting = input.paused;
  if (input.paused)
    message = `paused by spec.paused; Service on revision ${promoted ? preview.revision : active.revision}`;
  else if (!progress.previewReadyAt)
    message = `preview revision ${preview.revision}: ${preview.available}/${previewTarget} available`;
  else if (!promoted) {
    const pre = progress.analysis;
    const analysisState = pre
      ? `, ${queryErrorNote("pre-promotion analysis", pre, spec.prePromotionAnalysis) ?? `pre-promotion analysis ${pre.phase.toLowerCase()} (${plural(pre.measurements ?? 0, "measurement")})`}`
      : "";
    if (promoting)
      message = `promoting revision ${preview.revision}: ${preview.available}/${desired} available before the switch`;
    else if (progress.analysis?.phase === "Inconclusive") {
      waiting = true;
      message = `preview revision ${preview.revision} ready${analysisState}; annotate agentry.dev/promote to promote anyway or agentry.dev/abort`;
    } else if (
      !spec.autoPromotionEnabled &&
      (!spec.prePromotionAnalysis || progress.analysis?.phase === "Successful")
    ) {
      waiting = true;
      message = `preview revision ${preview.revision} ready${analysisState}; waiting for promotion (annotate agentry.dev/promote)`;
    } else message = `preview revision ${preview.revision} ready${analysisState}`;
  } else if (!postDone) {
    const post =
      queryErrorNote("post-promotion analysis", progress.analysis, spec.postPromotionAnalysis) ??
      `post-promotion analysis ${progress.analysis?.phase.toLowerCase() ?? "pending"}`;
    message = `revision ${preview.revision} promoted; ${post}, revision ${active.revision} kept for rollback`;
  } else if (!complete)
    message = `revision ${preview.revision} promoted; revision ${active.revision} scales down at ${progress.scaleDownAt}`;
  else message = `revision ${preview.revision}: ${preview.available}/${desired} available`;

  return {
    replicas,
    serviceRevision: promoted ? preview.revision : active.revision,
    progress,
    abort: undefined,
    complete,
    waiting,
    stalled: input.deadlineExceeded,
    message,
    events,
    requeueAfterMs: requeue,
  };

  /** Runs one analysis slot; "Passed" also when there is none or it is skipped. */
  function runAnalysis(
    what: string,
    analysisSpec: AnalysisSpec | undefined,
    skip: boolean,
  ): "Passed" | "Running" | "Failed" | "Inconclusive" {
    if (!analysisSpec || skip) return "Passed";
    let current = progress.analysis ?? startAnalysis(analysisSpec, now);
    const taken = input.measurements.blueGreen;
    if (taken && (current.phase === "Pending" || current.phase === "Running")) {
      const before = current;
      current = recordMeasurements(current, analysisSpec, taken, now, { background: false });
      events.push(...analysisEvents(what, before, current, analysisSpec));
    }
    progress = { ...progress, analysis: current };
    if (current.phase === "Successful") return "Passed";
    if (current.phase === "Failed") return "Failed";
    if (current.phase === "Inconclusive" || current.phase === "Error") return "Inconclusive";
    soonest(nextRequeueMs(current, now));
    return "Running";
  }
}
