import { z } from "zod";
import { exactlyOneOf, withRules } from "./cross-field-rule.ts";
import { duration, httpUrl, secretKeyRef } from "./primitives.ts";

/** Metrics the runtime exports, so the common gates need no PromQL. */
export const BUILTIN_METRICS = [
  "errorRate",
  "latencyP95Seconds",
  "llmErrorRate",
  "tokensPerRequest",
] as const;

const COMPARISON = "result\\s*(<|<=|>|>=|==|!=)\\s*-?[0-9]+(\\.[0-9]+)?";
export const SUCCESS_CONDITION_PATTERN = `^\\s*${COMPARISON}(\\s*(&&|\\|\\|)\\s*${COMPARISON})*\\s*$`;

export const metricSpec = withRules(
  z
    .strictObject({
      name: z
        .string()
        .max(63)
        .regex(/^[a-zA-Z0-9]([-_a-zA-Z0-9]{0,62})$/, { message: "must be 1-63 letters, digits, '-' or '_'" })
        .describe("Name of the measurement, shown in status and Events; unique within the analysis."),
      builtin: z
        .enum(BUILTIN_METRICS)
        .optional()
        .describe(
          "A metric of the runtime, measured on the new revision: errorRate (share of 5xx), latencyP95Seconds, " +
            "llmErrorRate (share of failed model calls), tokensPerRequest.",
        ),
      query: z
        .string()
        .min(1)
        .max(4096)
        .optional()
        .describe(
          "A PromQL query returning one number. {{namespace}}, {{agent}}, {{canaryRevision}} and {{stableRevision}} are replaced.",
        ),
      max: z.number().optional().describe("The measurement fails when the value is above this bound."),
      min: z.number().optional().describe("The measurement fails when the value is below this bound."),
      maxRatioToStable: z
        .number()
        .positive()
        .optional()
        .describe(
          "builtin only: fails when the new revision's value exceeds this multiple of the stable revision's " +
            "(1.2 = at most 20% worse). Passes when the stable revision has no traffic to compare with.",
        ),
      successCondition: z
        .string()
        .max(256)
        .regex(new RegExp(SUCCESS_CONDITION_PATTERN), {
          message: "must compare result with numbers, e.g. 'result < 0.05' or 'result >= 1 && result < 3'",
        })
        .optional()
        .describe(
          "query only: comparisons of `result` with numbers joined by && or ||, e.g. 'result < 0.05'.",
        ),
    })
    .describe("One measurement of an analysis."),
  [
    exactlyOneOf(["builtin", "query"], "a metric needs exactly one of builtin or query"),
    {
      cel: "!has(self.builtin) || has(self.max) || has(self.min) || has(self.maxRatioToStable)",
      message: "a builtin metric needs a bound: max, min or maxRatioToStable",
      field: "builtin",
      holds: (metric) =>
        metric.builtin === undefined ||
        metric.max !== undefined ||
        metric.min !== undefined ||
        metric.maxRatioToStable !== undefined,
    },
    {
      cel: "!has(self.query) || has(self.successCondition) || has(self.max) || has(self.min)",
      message: "a query metric needs successCondition, max or min",
      field: "query",
      holds: (metric) =>
        metric.query === undefined ||
        metric.successCondition !== undefined ||
        metric.max !== undefined ||
        metric.min !== undefined,
    },
    {
      cel: "!has(self.maxRatioToStable) || has(self.builtin)",
      message: "maxRatioToStable works only with a builtin metric",
      field: "maxRatioToStable",
      reason: "FieldValueForbidden",
      holds: (metric) => metric.maxRatioToStable === undefined || metric.builtin !== undefined,
    },
    {
      cel: "!has(self.successCondition) || has(self.query)",
      message: "successCondition works only with a query metric",
      field: "successCondition",
      reason: "FieldValueForbidden",
      holds: (metric) => metric.successCondition === undefined || metric.query !== undefined,
    },
  ],
);

const HTTPS_ADDRESS = /^https:\/\//i;

export const prometheusSpec = withRules(
  z
    .strictObject({
      address: httpUrl().describe(
        "Base URL of the Prometheus HTTP API; a path prefix (https://host/prometheus) is kept.",
      ),
      bearerTokenSecretRef: secretKeyRef
        .optional()
        .describe("Secret key holding a bearer token sent with every query (an auth proxy, Thanos, Mimir)."),
      caSecretRef: secretKeyRef
        .optional()
        .describe(
          "Secret key holding the PEM CA certificates that sign the server's certificate (https only).",
        ),
      insecureSkipVerify: z
        .boolean()
        .optional()
        .describe("Accept any server certificate (https only). For tests; prefer caSecretRef."),
    })
    .describe("A Prometheus HTTP API and how to reach it."),
  [
    {
      cel: "self.address.lowerAscii().startsWith('https://') || (!has(self.caSecretRef) && !has(self.insecureSkipVerify))",
      message: "caSecretRef and insecureSkipVerify need an https address",
      field: "address",
      holds: (prometheus) =>
        HTTPS_ADDRESS.test(prometheus.address) ||
        (prometheus.caSecretRef === undefined && prometheus.insecureSkipVerify === undefined),
    },
    {
      cel: "!has(self.caSecretRef) || !has(self.insecureSkipVerify) || !self.insecureSkipVerify",
      message: "insecureSkipVerify: true ignores caSecretRef; set one of them",
      field: "insecureSkipVerify",
      reason: "FieldValueForbidden",
      holds: (prometheus) => prometheus.caSecretRef === undefined || prometheus.insecureSkipVerify !== true,
    },
  ],
);

export const analysisSpec = withRules(
  z
    .strictObject({
      metrics: z
        .array(metricSpec)
        .min(1)
        .max(10)
        .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] })
        .describe("Measurements taken each interval; all must pass."),
      interval: duration.default("1m").describe("Time between measurements."),
      initialDelay: duration
        .optional()
        .describe("Wait before the first measurement, so the new pods get traffic."),
      count: z
        .int()
        .min(1)
        .max(1000)
        .optional()
        .describe(
          "Measurements to take. Default 3 for step and promotion analyses; a background analysis without " +
            "count runs until the rollout ends.",
        ),
      failureLimit: z
        .int()
        .min(0)
        .default(0)
        .describe("Failed measurements tolerated; one more fails the analysis and aborts the rollout."),
      inconclusiveLimit: z
        .int()
        .min(0)
        .default(0)
        .describe("Inconclusive measurements (no data) tolerated; one more pauses the rollout."),
      consecutiveErrorLimit: z
        .int()
        .min(0)
        .default(4)
        .describe("Consecutive query errors tolerated; one more makes the analysis inconclusive."),
      prometheus: prometheusSpec
        .optional()
        .describe(
          "Prometheus to query; default: the operator's (AGENTRY_PROMETHEUS_ADDRESS, with its token and CA).",
        ),
    })
    .describe("Metric checks that gate a rollout."),
  [
    {
      message: "metric names must be unique",
      field: "metrics",
      reason: "FieldValueDuplicate",
      holds: (analysis) =>
        new Set(analysis.metrics.map((metric) => metric.name)).size === analysis.metrics.length,
    },
  ],
);
