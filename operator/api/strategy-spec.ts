import { z } from "zod";
import { analysisSpec } from "./analysis-spec.ts";
import { exactlyOneOf, withRules } from "./cross-field-rule.ts";
import { duration, intOrPercent, objectName } from "./primitives.ts";

export const STRATEGY_TYPES = ["RollingUpdate", "Canary", "BlueGreen"] as const;
export const MAX_CANARY_STEPS = 50;

export const rollingUpdateSpec = withRules(
  z
    .strictObject({
      maxSurge: intOrPercent.default("25%").describe("Pods above the desired count while rolling."),
      maxUnavailable: intOrPercent.default(0).describe("Pods below the desired count while rolling."),
    })
    .describe("Pace of a rolling update between revisions."),
  [
    {
      cel:
        "!((type(self.maxSurge) == int ? self.maxSurge == 0 : self.maxSurge == '0%') && " +
        "(type(self.maxUnavailable) == int ? self.maxUnavailable == 0 : self.maxUnavailable == '0%'))",
      message: "maxSurge and maxUnavailable cannot both be 0: the rollout could never make progress",
      field: "maxUnavailable",
      holds: (spec) => !(isZero(spec.maxSurge) && isZero(spec.maxUnavailable)),
    },
  ],
);

/** What a RollingUpdate strategy without a rollingUpdate block means. */
export const DEFAULT_ROLLING_UPDATE = rollingUpdateSpec.parse({});

function isZero(value: number | string): boolean {
  return value === 0 || value === "0%";
}

export const canaryStepSpec = withRules(
  z
    .strictObject({
      setWeight: z
        .int()
        .min(0)
        .max(100)
        .optional()
        .describe("Percent of traffic (or of replicas, without traffic routing) sent to the new revision."),
      pause: z
        .strictObject({
          duration: duration
            .optional()
            .describe("How long to wait; without it the rollout waits for a promote."),
        })
        .optional()
        .describe(
          "Wait: for a duration, or until the agentry.dev/promote annotation (`kubectl annotate agd NAME agentry.dev/promote=`).",
        ),
      analysis: analysisSpec.optional().describe("Run an analysis; the step passes when it succeeds."),
    })
    .describe("One step of a canary: exactly one of setWeight, pause or analysis."),
  [
    exactlyOneOf(
      ["setWeight", "pause", "analysis"],
      "a step sets exactly one of setWeight, pause or analysis",
    ),
  ],
);

export const canarySpec = withRules(
  z
    .strictObject({
      steps: z
        .array(canaryStepSpec)
        .max(MAX_CANARY_STEPS)
        .default([])
        .describe(
          "Steps run in order; after the last the new revision takes all traffic. Without steps the new revision takes all traffic at once and old pods leave as new ones become available.",
        ),
      analysis: analysisSpec
        .optional()
        .describe("Background analysis that runs from the first step to promotion; a failure aborts."),
      trafficRouting: z
        .strictObject({
          gatewayAPI: z
            .strictObject({
              httpRoute: objectName.describe(
                "HTTPRoute in the same namespace with a rule whose backendRefs list Services NAME-stable and NAME-canary; " +
                  "the operator sets only those two weights, the rest of the route stays as written.",
              ),
            })
            .describe(
              "Weights set on a Gateway API HTTPRoute between Services NAME-stable and NAME-canary; Service NAME then " +
                "selects the stable revision only, so the route is the one way to the canary.",
            ),
        })
        .optional()
        .describe("Exact traffic weights through a router; without it the weight is a replica ratio."),
      abortScaleDownDelaySeconds: z
        .int()
        .min(0)
        .default(0)
        .describe("Seconds the aborted revision keeps its pods after an abort; 0 scales it down at once."),
    })
    .describe("Canary: move traffic to the new revision step by step, gated by pauses and analysis."),
  [
    {
      cel: "self.steps.filter(s, has(s.setWeight)).map(s, s.setWeight).isSorted()",
      message: "setWeight must not decrease from one step to the next",
      field: "steps",
      holds: (canary) => {
        const weights = canary.steps.flatMap((step) =>
          step.setWeight === undefined ? [] : [step.setWeight],
        );
        return weights.every((weight, index) => index === 0 || weight >= (weights[index - 1] ?? 0));
      },
    },
  ],
);

export const blueGreenSpec = withRules(
  z
    .strictObject({
      autoPromotionEnabled: z
        .boolean()
        .default(true)
        .describe("Promote the preview as soon as it is ready (and prePromotionAnalysis passed)."),
      autoPromotionSeconds: z
        .int()
        .min(1)
        .optional()
        .describe("Promote automatically this many seconds after the preview became ready."),
      previewReplicas: z
        .int()
        .min(1)
        .optional()
        .describe("Replicas of the preview before promotion; default: the full count."),
      scaleDownDelaySeconds: z
        .int()
        .min(0)
        .default(30)
        .describe(
          "Seconds the old revision keeps running after promotion, for in-flight requests and rollback.",
        ),
      abortScaleDownDelaySeconds: z
        .int()
        .min(0)
        .default(0)
        .describe("Seconds the preview keeps its pods after an abort; 0 scales it down at once."),
      prePromotionAnalysis: analysisSpec
        .optional()
        .describe("Analysis of the preview before it gets traffic."),
      postPromotionAnalysis: analysisSpec
        .optional()
        .describe("Analysis after promotion, while the old revision can still take traffic back."),
    })
    .describe("Blue-green: run the new revision behind NAME-preview, then switch NAME to it at once."),
  [
    {
      cel: "!has(self.autoPromotionSeconds) || self.autoPromotionEnabled",
      message: "autoPromotionSeconds needs autoPromotionEnabled: true",
      field: "autoPromotionSeconds",
      reason: "FieldValueForbidden",
      holds: (spec) => spec.autoPromotionSeconds === undefined || spec.autoPromotionEnabled,
    },
  ],
);

export const strategySpec = withRules(
  z
    .strictObject({
      type: z
        .enum(STRATEGY_TYPES)
        .default("RollingUpdate")
        .describe("How a new revision replaces the old one."),
      rollingUpdate: rollingUpdateSpec.optional(),
      canary: canarySpec.optional(),
      blueGreen: blueGreenSpec.optional(),
    })
    .describe("How new revisions roll out."),
  [
    {
      cel: "!has(self.rollingUpdate) || self.type == 'RollingUpdate'",
      message: "rollingUpdate settings need type: RollingUpdate",
      field: "rollingUpdate",
      reason: "FieldValueForbidden",
      holds: (strategy) => strategy.rollingUpdate === undefined || strategy.type === "RollingUpdate",
    },
    {
      cel: "!has(self.canary) || self.type == 'Canary'",
      message: "canary settings need type: Canary",
      field: "canary",
      reason: "FieldValueForbidden",
      holds: (strategy) => strategy.canary === undefined || strategy.type === "Canary",
    },
    {
      cel: "!has(self.blueGreen) || self.type == 'BlueGreen'",
      message: "blueGreen settings need type: BlueGreen",
      field: "blueGreen",
      reason: "FieldValueForbidden",
      holds: (strategy) => strategy.blueGreen === undefined || strategy.type === "BlueGreen",
    },
  ],
);
