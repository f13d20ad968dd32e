import { z } from "zod";
import { agentSpec } from "./agent-spec.ts";
import { API_GROUP_VERSION, KIND, MAX_NAME_LENGTH } from "./constants.ts";
import { withRules } from "./cross-field-rule.ts";
import { imageReference } from "./image-reference.ts";
import { podSpecFields } from "./pod-spec.ts";
import { defaultedObject } from "./primitives.ts";
import { autoscalingSpec, disruptionSpec } from "./scaling-spec.ts";
import { authSpec, rateLimitSpec, serviceSpec } from "./serving-spec.ts";
import { agentDeploymentStatus } from "./status.ts";
import { strategySpec } from "./strategy-spec.ts";

export const agentDeploymentSpec = withRules(
  z
    .strictObject({
      replicas: z
        .int()
        .min(0)
        .max(10_000)
        .default(1)
        .describe(
          "Desired pods (scale subresource). With autoscaling on, the HorizontalPodAutoscaler writes it.",
        ),
      image: imageReference
        .optional()
        .describe("Agent runtime image; default: the operator's configured runtime image."),
      agent: agentSpec,
      ...podSpecFields,
      auth: defaultedObject(authSpec),
      rateLimit: rateLimitSpec.optional(),
      service: defaultedObject(serviceSpec),
      autoscaling: autoscalingSpec.optional(),
      disruption: disruptionSpec.optional(),
      paused: z
        .boolean()
        .default(false)
        .describe("Stop progressing rollouts; running pods are left as they are."),
      progressDeadlineSeconds: z
        .int()
        .min(1)
        .default(600)
        .describe("Seconds a rollout step may go without progress before the agent is marked Stalled."),
      progressDeadlineAbort: z
        .boolean()
        .default(false)
        .describe("Abort the rollout (back to the stable revision) when the progress deadline passes."),
      strategy: defaultedObject(strategySpec),
    })
    .describe("Desired state of the agent."),
  [
    {
      cel: "!has(self.rateLimit) || has(self.agent.memory)",
      message:
        "rateLimit needs agent.memory.redis: counters live in Redis so the limit holds across replicas",
      field: "rateLimit",
      holds: (spec) => spec.rateLimit === undefined || spec.agent.memory !== undefined,
    },
  ],
);

export const NAME_PATTERN = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

/** The rule on metadata.name lives at the CRD's root; see `buildCrd`. */
export const NAME_RULE = {
  /** On metadata.name itself: the API server allows rules there, and then names the field. */
  cel: `self.size() <= ${MAX_NAME_LENGTH} && self.matches('${NAME_PATTERN}')`,
  message: `metadata.name must be a DNS-1035 label of at most ${MAX_NAME_LENGTH} characters (a-z, 0-9, '-', starting with a letter), so that NAME-<revision> fits in 63`,
};

export const agentDeploymentMetadata = z.looseObject({
  name: z
    .string()
    .max(MAX_NAME_LENGTH, { message: NAME_RULE.message })
    .regex(new RegExp(NAME_PATTERN), { message: NAME_RULE.message }),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  generation: z.int().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
});

export const agentDeployment = z.strictObject({
  apiVersion: z.literal(API_GROUP_VERSION),
  kind: z.literal(KIND),
  metadata: agentDeploymentMetadata,
  spec: agentDeploymentSpec,
  status: agentDeploymentStatus.optional(),
});

/** An AgentDeployment with every default applied: what the rest of the code works with. */
export type AgentDeployment = z.output<typeof agentDeployment>;
export type AgentDeploymentSpec = z.output<typeof agentDeploymentSpec>;
export type AgentDeploymentStatus = z.output<typeof agentDeploymentStatus>;
/** An AgentDeployment as a user writes it, defaults optional. */
export type AgentDeploymentInput = z.input<typeof agentDeployment>;
