import { describe, expect, it } from "vitest";
import { blueGreenSpec } from "../../../operator/api/strategy-spec.ts";
import { type BlueGreenInput, decideBlueGreen } from "../../../operator/reconcile/blue-green.ts";
import { NO_ACTIONS } from "../../../operator/reconcile/rollout-actions.ts";
import { measured } from "./measured.ts";

const start = new Date("2026-11-26T10:00:00Z");
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
const analysis = {
  interval: "30s",
  count: 2,
  metrics: [{ name: "errors", builtin: "errorRate", max: 0.05 }],
};

function input(spec: Record<string, unknown>, overrides: Partial<BlueGreenInput> = {}): BlueGreenInput {
  return {
    spec: blueGreenSpec.parse(spec),
    desired: 4,
    paused: false,
    now: start,
    active: { revision: "blue", replicas: 4, available: 4 },
    preview: { revision: "green", replicas: 0, available: 0 },
    previous: undefined,
    previousAbort: undefined,
    actions: NO_ACTIONS,
    deadlineExceeded: undefined,
    progressDeadlineAbort: false,
    measurements: {},
    ...overrides,
  };
}

/** Feeds each decision back with every asked-for pod available, as the cluster would. */
function settle(first: BlueGreenInput, rounds = 5) {
  let current = first;
  let decision = decideBlueGreen(current);
  for (let round = 1; round < rounds; round++) {
    current = {
      ...current,
      previous: decision.progress,
      previousAbort: decision.abort,
      actions: NO_ACTIONS,
      measurements: {},
      active: { ...current.active, replicas: decision.replicas.active, available: decision.replicas.active },
      preview: {
        ...current.preview,
        replicas: decision.replicas.preview,
        available: decision.replicas.preview,
      },
    };
    decision = decideBlueGreen(current);
  }
  return { decision, input: current };
}

describe("decideBlueGreen", () => {
  it("starts the preview with previewReplicas while Service NAME stays on the active revision", () => {
    const decision = decideBlueGreen(input({ previewReplicas: 1, autoPromotionEnabled: false }));
    expect(decision.replicas).toEqual({ active: 4, preview: 1 });
    expect(decision.serviceRevision).toBe("blue");
    expect(decision.message).toBe("preview revision green: 0/1 available");
  });

  it("waits for a promote when autoPromotionEnabled is false, then scales up and switches", () => {
    const waiting = settle(input({ previewReplicas: 1, autoPromotionEnabled: false }));
    expect(waiting.decision.waiting).toBe(true);
    expect(waiting.decision.serviceRevision).toBe("blue");
    const promoted = settle(
      { ...waiting.input, previous: waiting.decision.progress, actions: { ...NO_ACTIONS, promote: true } },
      2,
    );
    expect(promoted.decision.serviceRevision).toBe("green");
    expect(promoted.decision.progress.activeRevision).toBe("green");
    expect(promoted.decision.replicas).toEqual({ active: 4, preview: 4 });
  });

  it("promotes automatically autoPromotionSeconds after the preview is ready", () => {
    const ready = settle(input({ autoPromotionSeconds: 60 }), 2);
    expect(ready.decision.serviceRevision).toBe("blue");
    expect(ready.decision.requeueAfterMs).toBe(5_000);
    const later = settle({ ...ready.input, previous: ready.decision.progress, now: at(61) }, 2);
    expect(later.decision.serviceRevision).toBe("green");
  });

  it("scales the old revision down scaleDownDelaySeconds after the switch, then completes", () => {
    const switched = settle(input({ scaleDownDelaySeconds: 30 }), 3);
    expect(switched.decision.progress.scaleDownAt).toBe("2026-11-26T10:00:30Z");
    expect(switched.decision.replicas.active).toBe(4);
    const later = settle({ ...switched.input, now: at(31) }, 2);
    expect(later.decision.replicas).toEqual({ active: 0, preview: 4 });
    expect(later.decision.complete).toBe(true);
  });

  it("aborts on a failed pre-promotion analysis and keeps Service NAME on the active revision", () => {
    const ready = settle(input({ prePromotionAnalysis: analysis }), 2);
    expect(ready.decision.progress.analysis?.phase).toBe("Pending");
    const failed = decideBlueGreen({
      ...ready.input,
      previous: ready.decision.progress,
      measurements: { blueGreen: measured("Failed", 0.3) },
    });
    expect(failed.abort?.message).toBe(
      "pre-promotion analysis failed: errors 0.3 (1 failed measurement, failureLimit 0)",
    );
    expect(failed.serviceRevision).toBe("blue");
    expect(failed.replicas).toEqual({ active: 4, preview: 0 });
  });

  it("rolls back when the post-promotion analysis fails: Service NAME goes back to the old revision", () => {
    const switched = settle(input({ postPromotionAnalysis: analysis, scaleDownDelaySeconds: 0 }), 3);
    expect(switched.decision.serviceRevision).toBe("green");
    expect(switched.decision.replicas.active).toBe(4);
    const failed = decideBlueGreen({
      ...switched.input,
      previous: switched.decision.progress,
      measurements: { blueGreen: measured("Failed", 0.3) },
    });
    expect(failed.abort?.message).toBe(
      "post-promotion analysis failed: errors 0.3 (1 failed measurement, failureLimit 0)",
    );
    expect(failed.serviceRevision).toBe("blue");
    expect(failed.replicas.active).toBe(4);
  });

  it("keeps the aborted preview for abortScaleDownDelaySeconds", () => {
    const ready = settle(input({ autoPromotionEnabled: false, abortScaleDownDelaySeconds: 20 }), 2);
    const aborted = decideBlueGreen({
      ...ready.input,
      previous: ready.decision.progress,
      actions: { ...NO_ACTIONS, abort: true },
    });
    expect(aborted.replicas).toEqual({ active: 4, preview: 4 });
    expect(aborted.requeueAfterMs).toBe(20_000);
    const later = decideBlueGreen({
      ...ready.input,
      now: at(21),
      previous: aborted.progress,
      previousAbort: aborted.abort,
    });
    expect(later.replicas.preview).toBe(0);
  });
});
