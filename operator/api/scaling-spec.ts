import { z } from "zod";
import { withRules } from "./cross-field-rule.ts";
import { intOrPercent, PRESERVE_UNKNOWN_FIELDS } from "./primitives.ts";

export const autoscalingSpec = withRules(
  z
    .strictObject({
      minReplicas: z.int().min(1).default(1).describe("Fewest replicas the autoscaler keeps."),
      maxReplicas: z.int().min(1).max(1000).describe("Most replicas the autoscaler may ask for."),
      targetCPUUtilizationPercentage: z
        .int()
        .min(1)
        .max(100)
        .optional()
        .describe("Average CPU utilisation (of requests) to aim for."),
      targetInflightRequests: z
        .int()
        .min(1)
        .optional()
        .describe("Average in-flight requests per pod to aim for (Pods metric agentry_inflight_requests)."),
      behavior: z
        .record(z.string(), z.unknown())
        .meta(PRESERVE_UNKNOWN_FIELDS)
        .optional()
        .describe("autoscaling/v2 HorizontalPodAutoscalerBehavior, passed through as written."),
    })
    .describe(
      "A HorizontalPodAutoscaler that scales the AgentDeployment through its scale subresource; " +
        "the operator splits the replicas between revisions during a rollout.",
    ),
  [
    {
      cel: "self.minReplicas <= self.maxReplicas",
      message: "minReplicas must not exceed maxReplicas",
      field: "minReplicas",
      holds: (spec) => spec.minReplicas <= spec.maxReplicas,
    },
    {
      cel: "has(self.targetCPUUtilizationPercentage) || has(self.targetInflightRequests)",
      message: "autoscaling needs targetCPUUtilizationPercentage or targetInflightRequests",
      field: "targetCPUUtilizationPercentage",
      reason: "FieldValueRequired",
      holds: (spec) =>
        spec.targetCPUUtilizationPercentage !== undefined || spec.targetInflightRequests !== undefined,
    },
  ],
);

export const disruptionSpec = withRules(
  z
    .strictObject({
      maxUnavailable: intOrPercent
        .optional()
        .describe("Pods that may be down at once during voluntary disruptions."),
      minAvailable: intOrPercent.optional().describe("Pods that must stay up during voluntary disruptions."),
    })
    .describe("A PodDisruptionBudget over the agent's pods. Default: maxUnavailable 1 when replicas > 1."),
  [
    {
      cel: "!(has(self.maxUnavailable) && has(self.minAvailable))",
      message: "set maxUnavailable or minAvailable, not both",
      field: "minAvailable",
      reason: "FieldValueForbidden",
      holds: (spec) => !(spec.maxUnavailable !== undefined && spec.minAvailable !== undefined),
    },
  ],
);
