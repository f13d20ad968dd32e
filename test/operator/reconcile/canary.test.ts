import { describe, expect, it } from "vitest";
import { canarySpec } from "../../../operator/api/strategy-spec.ts";
import { type CanaryInput, decideCanary } from "../../../operator/reconcile/canary.ts";
import { canaryReplicaSplit } from "../../../operator/reconcile/canary-replicas.ts";
import { NO_ACTIONS } from "../../../operator/reconcile/rollout-actions.ts";
import { measured } from "./measured.ts";

const start = new Date("2026-11-26T10:00:00Z");
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
const analysis = { interval: "1m", count: 2, metrics: [{ name: "errors", builtin: "errorRate", max: 0.05 }] };

function input(steps: unknown[], overrides: Partial<CanaryInput> = {}): CanaryInput {
  return {
    spec: canarySpec.parse({ steps }),
    desired: 10,
    paused: false,
    now: start,
    stable: { revision: "old", replicas: 10, available: 10 },
    update: { revision: "new", replicas: 0, available: 0 },
    previous: undefined,
    previousAbort: undefined,
    actions: NO_ACTIONS,
    deadlineExceeded: undefined,
    progressDeadlineAbort: false,
    measurements: {},
    ...overrides,
  };
}

/**
 * Runs reconciles the way the cluster answers them: each one's replica targets become the next
 * one's Deployments, with every pod available at once.
 */
function settle(first: CanaryInput, rounds = 6) {
  let current = first;
  let decision = decideCanary(current);
  for (let round = 1; round < rounds; round++) {
    current = {
      ...current,
      previous: decision.progress,
      previousAbort: decision.abort,
      actions: NO_ACTIONS,
      measurements: {},
      stable: { ...current.stable, replicas: decision.replicas.stable, available: decision.replicas.stable },
      update: { ...current.update, replicas: decision.replicas.update, available: decision.replicas.update },
    };
    decision = decideCanary(current);
  }
  return { decision, input: current };
}

describe("canaryReplicaSplit", () => {
  it.each([
    [10, 10, 1, 9],
    [10, 15, 2, 9],
    [10, 50, 5, 5],
    [3, 10, 1, 3],
    [10, 0, 0, 10],
    [10, 100, 10, 0],
  ])("%i pods at %i%%: %i canary, %i stable (both round up)", (desired, weight, canary, stable) => {
    expect(canaryReplicaSplit({ desired, weight, canaryAvailable: canary, trafficRouted: false })).toEqual({
      canary,
      stable,
    });
  });

  it("keeps the stable side until canary pods are available, so capacity never dips", () => {
    expect(canaryReplicaSplit({ desired: 10, weight: 50, canaryAvailable: 2, trafficRouted: false })).toEqual(
      {
        canary: 5,
        stable: 8,
      },
    );
  });

  it("with a router keeps the stable side whole until the canary has taken over", () => {
    expect(canaryReplicaSplit({ desired: 10, weight: 20, canaryAvailable: 2, trafficRouted: true })).toEqual({
      canary: 2,
      stable: 10,
    });
    expect(
      canaryReplicaSplit({ desired: 10, weight: 100, canaryAvailable: 10, trafficRouted: true }),
    ).toEqual({
      canary: 10,
      stable: 0,
    });
  });
});

describe("decideCanary", () => {
  it("starts at step 1, scales the canary to its weight and waits for its pods", () => {
    const decision = decideCanary(input([{ setWeight: 10 }, { pause: {} }]));
    expect(decision.replicas).toEqual({ stable: 10, update: 1 });
    expect(decision.progress).toMatchObject({ currentStepIndex: 0, stepCount: 2, weight: 10 });
    expect(decision.message).toBe("canary step 1/2 (setWeight 10): weight 10%, 0/1 canary pods available");
    expect(decision.waiting).toBe(false);
    expect(decision.complete).toBe(false);
  });

  it("passes a reached weight and stops at an indefinite pause, phase Paused", () => {
    const { decision } = settle(input([{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }]));
    expect(decision.progress).toMatchObject({ currentStepIndex: 1, weight: 10 });
    expect(decision.replicas).toEqual({ stable: 9, update: 1 });
    expect(decision.waiting).toBe(true);
    expect(decision.message).toContain("paused until promoted (annotate agentry.dev/promote)");
  });

  it("goes on after a promote, to the end and all traffic", () => {
    const paused = settle(input([{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }]));
    const promoted = decideCanary({
      ...paused.input,
      previous: paused.decision.progress,
      actions: { ...NO_ACTIONS, promote: true },
    });
    expect(promoted.events.map((event) => event.reason)).toEqual(["CanaryStepCompleted"]);
    expect(promoted.progress).toMatchObject({ currentStepIndex: 2, weight: 50 });
    const { decision } = settle({
      ...paused.input,
      previous: promoted.progress,
      stable: { revision: "old", replicas: 9, available: 9 },
    });
    expect(decision.progress).toMatchObject({ currentStepIndex: 3, weight: 100 });
    expect(decision.replicas).toEqual({ stable: 0, update: 10 });
    expect(decision.complete).toBe(true);
  });

  it("ends a timed pause when its duration passed, and asks to be looked at then", () => {
    const steps = [{ setWeight: 20 }, { pause: { duration: "5m" } }, { setWeight: 40 }];
    const { decision, input: last } = settle(input(steps), 3);
    expect(decision.waiting).toBe(true);
    expect(decision.requeueAfterMs).toBe(300_000);
    const later = decideCanary({ ...last, previous: decision.progress, now: at(301) });
    expect(later.progress).toMatchObject({ currentStepIndex: 2, weight: 40 });
    expect(later.waiting).toBe(false);
  });

  it("promote-full skips every remaining step", () => {
    const decision = decideCanary(
      input([{ setWeight: 10 }, { pause: {} }, { analysis }], {
        actions: { ...NO_ACTIONS, promoteFull: true },
      }),
    );
    expect(decision.progress).toMatchObject({ currentStepIndex: 3, weight: 100 });
    expect(decision.replicas.update).toBe(10);
    expect(decision.events.map((event) => event.reason)).toEqual(["PromotedFull"]);
  });

  it("no steps: the new revision takes over at once, the old one leaves as new pods become available", () => {
    const decision = decideCanary(input([], { update: { revision: "new", replicas: 10, available: 4 } }));
    expect(decision.replicas).toEqual({ stable: 6, update: 10 });
    expect(decision.progress.weight).toBe(100);
  });

  it("aborts on the annotation: weight 0, the stable side whole, the canary gone at once", () => {
    const running = settle(input([{ setWeight: 30 }, { pause: {} }]));
    const aborted = decideCanary({
      ...running.input,
      previous: running.decision.progress,
      actions: { ...NO_ACTIONS, abort: true },
    });
    expect(aborted.abort?.message).toBe("aborted by the agentry.dev/abort annotation");
    expect(aborted.replicas).toEqual({ stable: 10, update: 0 });
    expect(aborted.weight).toBe(0);
    expect(aborted.events).toEqual([expect.objectContaining({ type: "Warning", reason: "RolloutAborted" })]);
    expect(aborted.message).toContain("annotate agentry.dev/retry");
    // Observed again: still aborted, no second Event.
    const again = decideCanary({
      ...running.input,
      previous: aborted.progress,
      previousAbort: aborted.abort,
    });
    expect(again.abort).toEqual(aborted.abort);
    expect(again.events).toEqual([]);
  });

  it("keeps the aborted canary's pods for abortScaleDownDelaySeconds", () => {
    const spec = canarySpec.parse({
      steps: [{ setWeight: 30 }, { pause: {} }],
      abortScaleDownDelaySeconds: 60,
    });
    const running = settle(input([], { spec }));
    const aborted = decideCanary({
      ...running.input,
      previous: running.decision.progress,
      actions: { ...NO_ACTIONS, abort: true },
    });
    expect(aborted.replicas).toEqual({ stable: 10, update: 3 });
    expect(aborted.requeueAfterMs).toBe(60_000);
    const later = decideCanary({
      ...running.input,
      now: at(61),
      previous: aborted.progress,
      previousAbort: aborted.abort,
    });
    expect(later.replicas).toEqual({ stable: 10, update: 0 });
  });

  it("retries an aborted rollout from its first step", () => {
    const decision = decideCanary(
      input([{ setWeight: 30 }, { pause: {} }], {
        previous: { currentStepIndex: 1, stepCount: 2, weight: 30 },
        previousAbort: { at: start.toISOString(), message: "x" },
        actions: { ...NO_ACTIONS, retry: true },
      }),
    );
    expect(decision.abort).toBeUndefined();
    expect(decision.progress).toMatchObject({ currentStepIndex: 0, weight: 30 });
    expect(decision.events.map((event) => event.reason)).toEqual(["RolloutRetried"]);
  });

  it("passes an analysis step after count clean measurements and aborts on a failed one", () => {
    const steps = [{ setWeight: 20 }, { analysis }, { setWeight: 60 }];
    const reached = settle(input(steps), 3);
    expect(reached.decision.message).toContain("step 2/3 (analysis)");
    // Without initialDelay the first measurement is due at once.
    expect(reached.decision.requeueAfterMs).toBe(0);
    const first = decideCanary({
      ...reached.input,
      previous: reached.decision.progress,
      measurements: { step: measured("Successful") },
    });
    expect(first.progress.analysis?.measurements).toBe(1);
    expect(first.events.map((event) => event.reason)).toEqual(["AnalysisMeasured"]);
    const second = decideCanary({
      ...reached.input,
      previous: first.progress,
      measurements: { step: measured("Successful") },
    });
    expect(second.progress).toMatchObject({ currentStepIndex: 2, weight: 60 });
    expect(second.events.map((event) => event.reason)).toEqual([
      "AnalysisMeasured",
      "AnalysisSuccessful",
      "CanaryStepCompleted",
    ]);

    const failed = decideCanary({
      ...reached.input,
      previous: first.progress,
      measurements: { step: measured("Failed", 0.5) },
    });
    expect(failed.abort?.message).toBe(
      "step 2 analysis failed: errors 0.5 (1 failed measurement, failureLimit 0)",
    );
    expect(failed.replicas).toEqual({ stable: 10, update: 0 });
    expect(failed.events.map((event) => event.reason)).toEqual([
      "AnalysisMeasured",
      "AnalysisFailed",
      "RolloutAborted",
    ]);
  });

  it("pauses on an inconclusive analysis until promoted", () => {
    const reached = settle(input([{ setWeight: 20 }, { analysis }, { setWeight: 60 }]), 3);
    const inconclusive = decideCanary({
      ...reached.input,
      previous: reached.decision.progress,
      measurements: { step: measured("Inconclusive") },
    });
    expect(inconclusive.waiting).toBe(true);
    expect(inconclusive.abort).toBeUndefined();
    expect(inconclusive.message).toContain("analysis inconclusive");
    const promoted = decideCanary({
      ...reached.input,
      previous: inconclusive.progress,
      actions: { ...NO_ACTIONS, promote: true },
    });
    expect(promoted.progress).toMatchObject({ currentStepIndex: 2, weight: 60 });
  });

  it("a failed background analysis aborts at any step", () => {
    const spec = canarySpec.parse({
      steps: [{ setWeight: 20 }, { pause: {} }],
      analysis: { ...analysis, count: undefined },
    });
    const running = settle(input([], { spec }), 3);
    expect(running.decision.progress.backgroundAnalysis?.phase).toBe("Pending");
    const failed = decideCanary({
      ...running.input,
      previous: running.decision.progress,
      measurements: { background: measured("Failed", 0.4) },
    });
    expect(failed.abort?.message).toContain("background analysis failed");
  });

  it("holds its step while spec.paused, and scale changes still reach both sides", () => {
    const running = settle(input([{ setWeight: 50 }, { pause: {} }]), 1);
    const paused = decideCanary({
      ...running.input,
      previous: running.decision.progress,
      paused: true,
      desired: 20,
      actions: { ...NO_ACTIONS, promote: true },
    });
    expect(paused.progress.currentStepIndex).toBe(0);
    expect(paused.replicas).toEqual({ stable: 20, update: 10 });
    expect(paused.waiting).toBe(true);
    expect(paused.message).toMatch(/^paused by spec.paused at canary step 1\/2/);
  });

  it("aborts at the progress deadline with progressDeadlineAbort, and only stalls without it", () => {
    const stuck = input([{ setWeight: 20 }], { deadlineExceeded: "revision new made no progress for 600s" });
    expect(decideCanary(stuck).stalled).toContain("no progress");
    expect(decideCanary(stuck).abort).toBeUndefined();
    const aborted = decideCanary({ ...stuck, progressDeadlineAbort: true });
    expect(aborted.abort?.message).toBe("progress deadline exceeded: revision new made no progress for 600s");
    expect(aborted.replicas).toEqual({ stable: 10, update: 0 });
  });
});
