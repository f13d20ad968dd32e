import { describe, expect, it } from "vitest";
import {
  builtinQuery,
  QueryTemplateError,
  rateWindow,
  renderQueryTemplate,
} from "../../../operator/analysis/builtin-queries.ts";
import { BUILTIN_METRICS } from "../../../operator/api/analysis-spec.ts";

const scope = { namespace: "agents", agent: "support-bot", revision: "84b2e1" };
const selector = 'namespace="agents",agent="support-bot",revision="84b2e1"';

describe("rateWindow", () => {
  it.each([
    [30_000, "60s"],
    [60_000, "60s"],
    [90_000, "90s"],
    [90_500, "91s"],
    [3_600_000, "3600s"],
  ])("interval %i ms -> %s", (intervalMs, window) => {
    expect(rateWindow(intervalMs)).toBe(window);
  });
});

describe("builtinQuery", () => {
  it("selects one revision of one agent in one namespace, over the window", () => {
    expect(builtinQuery("errorRate", scope, "120s")).toBe(
      `(sum(rate(agentry_requests_total{${selector},status=~"5.."}[120s])) or vector(0)) / sum(rate(agentry_requests_total{${selector}}[120s]))`,
    );
    expect(builtinQuery("latencyP95Seconds", scope, "60s")).toBe(
      `histogram_quantile(0.95, sum by (le) (rate(agentry_request_duration_seconds_bucket{${selector}}[60s])))`,
    );
    expect(builtinQuery("llmErrorRate", scope, "60s")).toBe(
      `(sum(rate(agentry_llm_requests_total{${selector},outcome!~"success|aborted|client_error"}[60s])) or vector(0)) / sum(rate(agentry_llm_requests_total{${selector},outcome!~"aborted|client_error"}[60s]))`,
    );
    expect(builtinQuery("tokensPerRequest", scope, "60s")).toBe(
      `(sum(rate(agentry_llm_tokens_total{${selector}}[60s])) or vector(0)) / sum(rate(agentry_requests_total{${selector}}[60s]))`,
    );
  });

  it("has a query for every builtin metric of the API", () => {
    for (const metric of BUILTIN_METRICS) expect(builtinQuery(metric, scope, "60s")).toContain(selector);
  });

  it.each([
    ["namespace", { ...scope, namespace: 'agents"} or vector(1) or {x="' }],
    ["agent", { ...scope, agent: "bot\\" }],
    ["revision", { ...scope, revision: 'a",revision=~".*' }],
    ["revision", { ...scope, revision: "" }],
    ["agent", { ...scope, agent: "bot\nup" }],
  ])("refuses a %s that is not a plain name", (what, bad) => {
    expect(() => builtinQuery("errorRate", bad, "60s")).toThrow(QueryTemplateError);
    expect(() => builtinQuery("errorRate", bad, "60s")).toThrow(`${what} `);
  });
});

describe("renderQueryTemplate", () => {
  const values = {
    namespace: "agents",
    agent: "support-bot",
    canaryRevision: "84b2e1",
    stableRevision: "5c9f7d",
  };

  it("replaces every placeholder, spaces inside the braces allowed", () => {
    expect(
      renderQueryTemplate(
        'sum(up{namespace="{{namespace}}",agent="{{ agent }}",revision=~"{{canaryRevision}}|{{stableRevision}}"})',
        values,
      ),
    ).toBe('sum(up{namespace="agents",agent="support-bot",revision=~"84b2e1|5c9f7d"})');
  });

  it("leaves a query without placeholders as written", () => {
    expect(renderQueryTemplate("vector(1)", values)).toBe("vector(1)");
  });

  it("refuses unknown placeholders and a missing stable revision", () => {
    expect(() => renderQueryTemplate("{{revision}}", values)).toThrow(
      "unknown placeholder {{revision}}; known: {{namespace}}, {{agent}}, {{canaryRevision}}, {{stableRevision}}",
    );
    expect(() =>
      renderQueryTemplate('up{revision="{{stableRevision}}"}', { ...values, stableRevision: undefined }),
    ).toThrow("the query uses {{stableRevision}}, but there is no stable revision yet");
  });

  it("never lets a value close the label matcher or add PromQL", () => {
    const attack = 'x"} or vector(1) or up{a="';
    for (const key of ["namespace", "agent", "canaryRevision", "stableRevision"] as const) {
      expect(() => renderQueryTemplate(`up{l="{{${key}}}"}`, { ...values, [key]: attack })).toThrow(
        `${key} "x\\"} or vector(1) or up{a=\\"" is not a plain name`,
      );
    }
  });
});
