/**
 * PromQL behind the builtin metrics, and the placeholders of raw queries.
 *
 * Label contract (docs/analysis.md): every runtime series carries `revision` and `agent` (the
 * runtime sets both from its pod's labels), and Prometheus adds `namespace` from Kubernetes
 * service discovery, as the Prometheus Operator's PodMonitor/ServiceMonitor and the community
 * chart's `kubernetes-pods` job do. A revision's value is summed over all its pods.
 */

import { METRIC_NAMES } from "../../agent-runtime/contract/metric-names.ts";
import type { BUILTIN_METRICS } from "../api/analysis-spec.ts";

export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];

/** The series labels builtin queries select on. */
export const ANALYSIS_LABELS = { namespace: "namespace", agent: "agent", revision: "revision" } as const;

/**
 * Rate windows never go below this: `rate()` needs two samples inside its window, and one minute
 * holds at least two at the common scrape intervals (15 s, 30 s).
 */
export const MIN_RATE_WINDOW_SECONDS = 60;

/** The series of one revision of one agent. */
export type RevisionScope = { namespace: string; agent: string; revision: string };

/** What `{{...}}` placeholders of a raw query stand for. */
export type QueryTemplateValues = {
  namespace: string;
  agent: string;
  canaryRevision: string;
  stableRevision?: string | undefined;
};

export class QueryTemplateError extends Error {
  readonly code = "QUERY_TEMPLATE_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "QueryTemplateError";
  }
}

/**
 * Names, namespaces and revision hashes only ever hold these characters. Accepting nothing else
 * means a value can never close a quoted label matcher or add PromQL, wherever it is placed.
 */
const SAFE_LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,252})$/;

function safeLabelValue(what: string, value: string): string {
  if (!SAFE_LABEL_VALUE.test(value)) {
    throw new QueryTemplateError(
      `${what} ${JSON.stringify(value)} is not a plain name (letters, digits, '.', '_', '-'), so it is not put into a query`,
    );
  }
  return value;
}

/** The analysis interval as a PromQL range, at least MIN_RATE_WINDOW_SECONDS: 30_000 -> "60s". */
export function rateWindow(intervalMs: number): string {
  return `${Math.max(MIN_RATE_WINDOW_SECONDS, Math.ceil(intervalMs / 1000))}s`;
}

function selector(scope: RevisionScope, extra = ""): string {
  const labels = [
    `${ANALYSIS_LABELS.namespace}="${safeLabelValue("namespace", scope.namespace)}"`,
    `${ANALYSIS_LABELS.agent}="${safeLabelValue("agent", scope.agent)}"`,
    `${ANALYSIS_LABELS.revision}="${safeLabelValue("revision", scope.revision)}"`,
  ];
  return `{${[...labels, ...(extra ? [extra] : [])].join(",")}}`;
}

/**
 * One revision's value of a builtin metric over `window` (a PromQL range such as "60s").
 *
 * Ratios divide by the revision's traffic: without traffic they are 0/0 = NaN (no data, so the
 * measurement is Inconclusive), and without any series at all the result is empty (the same).
 * `or vector(0)` makes "no 5xx series yet" count as zero errors rather than as no data.
 */
export function builtinQuery(metric: BuiltinMetric, scope: RevisionScope, window: string): string {
  const range = `[${window}]`;
  const requests = `sum(rate(${METRIC_NAMES.requests}${selector(scope)}${range}))`;
  switch (metric) {
    case "errorRate":
      return `(sum(rate(${METRIC_NAMES.requests}${selector(scope, 'status=~"5.."')}${range})) or vector(0)) / ${requests}`;
    case "latencyP95Seconds":
      return `histogram_quantile(0.95, sum by (le) (rate(${METRIC_NAMES.requestDuration}_bucket${selector(scope)}${range})))`;
    case "llmErrorRate": {
      // A call the client abandoned (`aborted`) or whose content the provider refused as the
      // caller's mistake (`client_error`: too long for the context, a bad parameter) says nothing
      // about the model or the revision; both are left out of the attempts too.
      const notJudged = "aborted|client_error";
      const failed = `sum(rate(${METRIC_NAMES.llmRequests}${selector(scope, `outcome!~"success|${notJudged}"`)}${range}))`;
      const attempts = `sum(rate(${METRIC_NAMES.llmRequests}${selector(scope, `outcome!~"${notJudged}"`)}${range}))`;
      return `(${failed} or vector(0)) / ${attempts}`;
    }
    case "tokensPerRequest":
      return `(sum(rate(${METRIC_NAMES.llmTokens}${selector(scope)}${range})) or vector(0)) / ${requests}`;
  }
}

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** Replaces {{namespace}}, {{agent}}, {{canaryRevision}} and {{stableRevision}} in a raw query. */
export function renderQueryTemplate(query: string, values: QueryTemplateValues): string {
  return query.replace(PLACEHOLDER, (_, name: string) => {
    switch (name) {
      case "namespace":
      case "agent":
      case "canaryRevision":
        return safeLabelValue(name, values[name]);
      case "stableRevision":
        if (values.stableRevision === undefined) {
          throw new QueryTemplateError(
            "the query uses {{stableRevision}}, but there is no stable revision yet",
          );
        }
        return safeLabelValue(name, values.stableRevision);
      default:
        throw new QueryTemplateError(
          `unknown placeholder {{${name}}}; known: {{namespace}}, {{agent}}, {{canaryRevision}}, {{stableRevision}}`,
        );
    }
  });
}
