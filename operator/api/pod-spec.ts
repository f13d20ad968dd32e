import { z } from "zod";
import { exactlyOneOf, withRules } from "./cross-field-rule.ts";
import {
  configMapKeyRef,
  localObjectRef,
  objectName,
  PRESERVE_UNKNOWN_FIELDS,
  quantity,
  secretKeyRef,
} from "./primitives.ts";

const resourceList = z
  .record(z.string(), quantity)
  .describe("Quantities by resource name (cpu, memory, ephemeral-storage).");

export const resourcesSpec = z
  .strictObject({
    requests: resourceList.optional().describe("Resources the scheduler reserves for each pod."),
    limits: resourceList.optional().describe("Upper bounds for each pod."),
  })
  .describe("Compute resources of the runtime container. Defaults: requests cpu 100m, memory 128Mi.");

const envVarSource = withRules(
  z
    .strictObject({
      secretKeyRef: secretKeyRef.optional().describe("A Secret key (never copied into the pod spec)."),
      configMapKeyRef: configMapKeyRef.optional().describe("A ConfigMap key."),
      fieldRef: z
        .strictObject({ fieldPath: z.string().min(1).describe("Pod field, e.g. metadata.name.") })
        .optional()
        .describe("A field of the pod."),
    })
    .describe("Where the variable's value comes from."),
  [
    exactlyOneOf(
      ["secretKeyRef", "configMapKeyRef", "fieldRef"],
      "valueFrom needs exactly one of secretKeyRef, configMapKeyRef or fieldRef",
    ),
  ],
);

export const envVar = withRules(
  z
    .strictObject({
      name: z
        .string()
        .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, { message: "must be a valid environment variable name" })
        .max(256)
        .describe("Variable name."),
      value: z.string().optional().describe("Literal value."),
      valueFrom: envVarSource.optional(),
    })
    .describe("An extra environment variable of the runtime container."),
  [
    {
      cel: "!self.name.startsWith('AGENTRY_')",
      message: "names starting with AGENTRY_ are reserved for the operator; use the matching spec field",
      field: "name",
      reason: "FieldValueForbidden",
      holds: (env) => !env.name.startsWith("AGENTRY_"),
    },
    {
      cel: "!(has(self.value) && has(self.valueFrom))",
      message: "set value or valueFrom, not both",
      field: "valueFrom",
      reason: "FieldValueForbidden",
      holds: (env) => !(env.value !== undefined && env.valueFrom !== undefined),
    },
  ],
);

export const envFromSource = withRules(
  z
    .strictObject({
      prefix: z.string().max(64).optional().describe("Prefix added to every variable name."),
      configMapRef: localObjectRef.optional().describe("Every key of a ConfigMap."),
      secretRef: localObjectRef.optional().describe("Every key of a Secret."),
    })
    .describe("A ConfigMap or Secret whose keys all become environment variables."),
  [exactlyOneOf(["configMapRef", "secretRef"], "envFrom needs exactly one of configMapRef or secretRef")],
);

export const toleration = z
  .strictObject({
    key: z.string().optional().describe("Taint key; empty with operator Exists matches every taint."),
    operator: z.enum(["Exists", "Equal"]).optional().describe("Exists or Equal (the default)."),
    value: z.string().optional().describe("Taint value for operator Equal."),
    effect: z
      .enum(["NoSchedule", "PreferNoSchedule", "NoExecute"])
      .optional()
      .describe("Taint effect to match; empty matches all."),
    tolerationSeconds: z.int().optional().describe("How long a NoExecute taint is tolerated."),
  })
  .describe("A toleration of the runtime pods.");

const probeOverride = z
  .strictObject({
    initialDelaySeconds: z.int().min(0).optional().describe("Seconds before the first probe."),
    periodSeconds: z.int().min(1).optional().describe("Seconds between probes."),
    timeoutSeconds: z.int().min(1).optional().describe("Seconds before a probe times out."),
    failureThreshold: z.int().min(1).optional().describe("Failures before the probe counts as failed."),
    successThreshold: z.int().min(1).optional().describe("Successes before the probe counts as passed."),
  })
  .describe("Overrides of one probe's timing; the endpoint is fixed by the runtime.");

/** Kubernetes accepts a successThreshold other than 1 only on readiness probes. */
const successThresholdOfOne = (probe: "startup" | "liveness") => ({
  cel: `!has(self.${probe}) || !has(self.${probe}.successThreshold) || self.${probe}.successThreshold == 1`,
  message: `${probe}.successThreshold must be 1: Kubernetes accepts no other value on ${probe} probes`,
  field: `${probe}.successThreshold`,
  holds: (probes: { startup?: { successThreshold?: number }; liveness?: { successThreshold?: number } }) =>
    (probes[probe]?.successThreshold ?? 1) === 1,
});

export const probesSpec = withRules(
  z
    .strictObject({
      startup: probeOverride.optional().describe("Startup probe on /livez (default: every 2s, 30 failures)."),
      liveness: probeOverride
        .optional()
        .describe("Liveness probe on /livez (default: every 10s, 3 failures)."),
      readiness: probeOverride
        .optional()
        .describe(
          "Readiness probe on /readyz: the pod has started and is not draining (default: every 5s). A Redis or model outage does not fail it; it shows in /readyz?verbose and agentry_dependency_up.",
        ),
    })
    .describe("Timing overrides of the runtime's probes."),
  [successThresholdOfOne("startup"), successThresholdOfOne("liveness")],
);

/** Pod-level settings passed through to every revision's pod template. */
export const podSpecFields = {
  resources: resourcesSpec.optional(),
  env: z
    .array(envVar)
    .max(100)
    .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] })
    .optional()
    .describe("Extra environment variables; AGENTRY_* names are reserved for the operator."),
  envFrom: z
    .array(envFromSource)
    .max(20)
    .optional()
    .describe("ConfigMaps and Secrets imported as variables."),
  nodeSelector: z.record(z.string(), z.string()).optional().describe("Node labels the pods must match."),
  tolerations: z.array(toleration).max(50).optional().describe("Tolerations of the pods."),
  affinity: z
    .record(z.string(), z.unknown())
    .meta(PRESERVE_UNKNOWN_FIELDS)
    .optional()
    .describe("A core/v1 Affinity, passed to the pod spec as written; the API server validates it there."),
  topologySpreadConstraints: z
    .array(z.record(z.string(), z.unknown()).meta(PRESERVE_UNKNOWN_FIELDS))
    .max(10)
    .optional()
    .describe(
      "core/v1 TopologySpreadConstraints, passed to the pod spec; a missing labelSelector selects the revision's pods.",
    ),
  serviceAccountName: objectName
    .optional()
    .describe("ServiceAccount the pods run as (default: the namespace's default)."),
  imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional().describe("Image pull policy."),
  imagePullSecrets: z.array(localObjectRef).max(10).optional().describe("Secrets used to pull the image."),
  priorityClassName: z.string().max(253).optional().describe("PriorityClass of the pods."),
  terminationGracePeriodSeconds: z
    .int()
    .min(1)
    .max(3600)
    .default(30)
    .describe("Seconds a pod has to finish in-flight requests after SIGTERM."),
  podLabels: z.record(z.string(), z.string()).optional().describe("Extra labels on the pods."),
  podAnnotations: z.record(z.string(), z.string()).optional().describe("Extra annotations on the pods."),
  probes: probesSpec.optional(),
};
