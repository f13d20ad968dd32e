/**
 * Builtin queries, measurements and a whole analysis round against a real Prometheus scraping
 * the runtime's real metrics (its createMetrics): a stable revision without errors, a canary
 * answering half its requests with 5xx, an idle revision, and look-alikes that the label contract
 * (namespace, agent, revision) must keep out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  measurementDue,
  nextRequeueMs,
  recordMeasurements,
  startAnalysis,
} from "../../../operator/analysis/analysis-progress.ts";
import { type BuiltinMetric, builtinQuery } from "../../../operator/analysis/builtin-queries.ts";
import {
  type MeasurementContext,
  type MetricSpec,
  measureMetric,
  measureMetrics,
} from "../../../operator/analysis/measure-metric.ts";
import {
  createPrometheusClient,
  type PrometheusClient,
} from "../../../operator/analysis/prometheus-client.ts";
import { analysisSpec } from "../../../operator/api/analysis-spec.ts";
import {
  type PrometheusServerHandle,
  prometheusAvailable,
  startPrometheusServer,
} from "../../support/prometheus-server.ts";
import {
  type RuntimeMetricsExporter,
  startRuntimeMetricsExporter,
} from "../../support/runtime-metrics-exporter.ts";
import { waitFor } from "../../support/wait-for.ts";

const SUITE = "analysis against a real Prometheus";
const AGENT = "support-bot";

/** histogram_quantile's linear interpolation inside the bucket (lower, upper] holding every sample. */
const p95Within = (lower: number, upper: number) => lower + (upper - lower) * 0.95;

describe.skipIf(!prometheusAvailable(SUITE))(SUITE, () => {
  let prometheus: PrometheusServerHandle;
  let client: PrometheusClient;
  const exporters: RuntimeMetricsExporter[] = [];
  const context: MeasurementContext = {
    namespace: "agents",
    agent: AGENT,
    canaryRevision: "canary1",
    stableRevision: "stable1",
    intervalMs: 60_000,
  };
  const measure = (metric: MetricSpec, overrides: Partial<MeasurementContext> = {}) =>
    measureMetric(metric, { ...context, ...overrides }, client.query, new Date());
  const builtinValue = async (metric: BuiltinMetric, revision: string) => {
    const result = await client.query(
      builtinQuery(metric, { namespace: "agents", agent: AGENT, revision }, "60s"),
      new Date(),
    );
    if (result.kind !== "value") throw new Error(`${metric} of ${revision}: ${JSON.stringify(result)}`);
    return result.value;
  };

  beforeAll(async () => {
    const start = async (...args: Parameters<typeof startRuntimeMetricsExporter>) => {
      const exporter = await startRuntimeMetricsExporter(...args);
      exporters.push(exporter);
      return exporter;
    };
    // Each tick is one slice of traffic; counters move together, so their ratios are exact.
    const stable = await start({
      revision: "stable1",
      agent: AGENT,
      tick: (m) => {
        m.requests.inc({ route: "/v1/chat", status: "200" });
        m.requestDuration.observe({ route: "/v1/chat" }, 0.05);
        m.llmRequests.inc({ outcome: "success" });
        // A request the provider refused as the caller's mistake is not the revision's error.
        m.llmRequests.inc({ outcome: "client_error" });
        m.llmTokens.inc({ kind: "prompt" }, 10);
        m.llmTokens.inc({ kind: "completion" }, 5);
      },
    });
    const canary = await start({
      revision: "canary1",
      agent: AGENT,
      tick: (m) => {
        m.requests.inc({ route: "/v1/chat", status: "200" });
        m.requests.inc({ route: "/v1/chat", status: "502" });
        m.requestDuration.observe({ route: "/v1/chat" }, 0.3);
        m.requestDuration.observe({ route: "/v1/chat" }, 0.3);
        m.llmRequests.inc({ outcome: "success" });
        m.llmRequests.inc({ outcome: "server_error" });
        // A client that hung up says nothing about the revision: counted on neither side.
        m.llmRequests.inc({ outcome: "aborted" }, 3);
        m.llmRequests.inc({ outcome: "client_error" }, 2);
        m.llmTokens.inc({ kind: "prompt" }, 30);
        m.llmTokens.inc({ kind: "completion" }, 10);
      },
    });
    // Series exist, traffic does not.
    const idle = await start({ revision: "idle1", agent: AGENT });
    idle.metrics.requests.inc({ route: "/v1/chat", status: "200" }, 0);
    idle.metrics.llmRequests.inc({ outcome: "success" }, 0);
    // Same revision name, another agent or another namespace, only successes.
    const healthy = (m: RuntimeMetricsExporter["metrics"]) =>
      m.requests.inc({ route: "/v1/chat", status: "200" }, 5);
    const otherAgent = await start({ revision: "canary1", agent: "other-bot", tick: healthy });
    const otherNamespace = await start({ revision: "canary1", agent: AGENT, tick: healthy });

    prometheus = await startPrometheusServer({
      jobs: [
        {
          job: "agents",
          targets: [stable.target, canary.target, idle.target, otherAgent.target],
          labels: { namespace: "agents" },
        },
        { job: "team-b", targets: [otherNamespace.target], labels: { namespace: "team-b" } },
      ],
    });
    client = createPrometheusClient({ address: prometheus.url });
    // rate() needs two scrapes of every target.
    await waitFor(
      "two scrapes of every target",
      async () => {
        const result = await client.query("min(count_over_time(up[1m]))", new Date());
        return result.kind === "value" && result.value >= 2;
      },
      30_000,
      prometheus.log,
      200,
    );
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await prometheus?.stop();
    await Promise.all(exporters.map((exporter) => exporter.close()));
  });

  it("reads each builtin metric of one revision of one agent in one namespace", async () => {
    expect(await builtinValue("errorRate", "stable1")).toBe(0);
    expect(await builtinValue("errorRate", "canary1")).toBeCloseTo(0.5, 6);
    expect(await builtinValue("latencyP95Seconds", "stable1")).toBeCloseTo(p95Within(0.025, 0.05), 6);
    expect(await builtinValue("latencyP95Seconds", "canary1")).toBeCloseTo(p95Within(0.25, 0.5), 6);
    expect(await builtinValue("llmErrorRate", "stable1")).toBe(0);
    expect(await builtinValue("llmErrorRate", "canary1")).toBeCloseTo(0.5, 6);
    expect(await builtinValue("tokensPerRequest", "stable1")).toBeCloseTo(15, 6);
    expect(await builtinValue("tokensPerRequest", "canary1")).toBeCloseTo(20, 6);
  });

  it("fails the canary's errorRate above max 0.05 and passes the stable's", async () => {
    const errors: MetricSpec = { name: "errors", builtin: "errorRate", max: 0.05 };
    const onCanary = await measure(errors);
    expect(onCanary).toMatchObject({ outcome: "Failed" });
    expect(onCanary.value).toBeCloseTo(0.5, 6);
    expect(onCanary.message).toBe("errors: 0.5 is above max 0.05");
    expect(await measure(errors, { canaryRevision: "stable1" })).toMatchObject({
      outcome: "Successful",
      value: 0,
    });
  });

  it("compares with the stable revision for maxRatioToStable", async () => {
    const tokens = (maxRatioToStable: number): MetricSpec => ({
      name: "tokens",
      builtin: "tokensPerRequest",
      maxRatioToStable,
    });
    const strict = await measure(tokens(1.2));
    expect(strict.outcome).toBe("Failed");
    expect(strict.value).toBeCloseTo(20, 6);
    expect(strict.stableValue).toBeCloseTo(15, 6);
    expect(strict.message).toBe("tokens: 20 is above 1.2 × stable 15 = 18");
    expect(await measure(tokens(1.5))).toMatchObject({ outcome: "Successful" });

    // Stable has traffic and no errors: no canary error rate above zero passes a ratio.
    const errors = await measure({ name: "errors", builtin: "errorRate", maxRatioToStable: 10 });
    expect(errors).toMatchObject({ outcome: "Failed", stableValue: 0 });
    // A stable revision without traffic gives nothing to compare with: the ratio passes.
    expect(await measure(tokens(1.2), { stableRevision: "idle1" })).toMatchObject({
      outcome: "Successful",
      message: "tokens: 20 passes; stable revision idle1 has no traffic to compare with",
    });
  });

  it("is Inconclusive for a revision without traffic, or without series", async () => {
    const errors: MetricSpec = { name: "errors", builtin: "errorRate", max: 0.05 };
    expect(await measure(errors, { canaryRevision: "idle1" })).toMatchObject({
      outcome: "Inconclusive",
      message: "errors: no data for revision idle1 over the last 60s (no traffic yet?)",
    });
    const latency: MetricSpec = { name: "p95", builtin: "latencyP95Seconds", max: 1 };
    expect(await measure(latency, { canaryRevision: "idle1" })).toMatchObject({ outcome: "Inconclusive" });
    expect(await measure(errors, { canaryRevision: "never-deployed" })).toMatchObject({
      outcome: "Inconclusive",
    });
  });

  it("runs raw queries with placeholders, and makes a broken query an Error", async () => {
    const rate: MetricSpec = {
      name: "rps",
      query:
        'sum(rate(agentry_requests_total{namespace="{{namespace}}",agent="{{agent}}",revision="{{canaryRevision}}"}[1m]))',
      successCondition: "result > 0",
    };
    const now = new Date();
    const measured = await measureMetric(rate, context, client.query, now);
    expect(measured.outcome).toBe("Successful");
    const literal = await client.query(
      'sum(rate(agentry_requests_total{namespace="agents",agent="support-bot",revision="canary1"}[1m]))',
      now,
    );
    const everyone = await client.query('sum(rate(agentry_requests_total{revision="canary1"}[1m]))', now);
    expect(literal).toEqual({ kind: "value", value: measured.value });
    // The look-alikes of another agent and namespace, with more traffic, were kept out.
    expect(everyone.kind === "value" && everyone.value).toBeGreaterThan((measured.value ?? 0) * 2);

    const broken = await measure({ name: "broken", query: "sum(rate(agentry_requests_total[1m]", max: 1 });
    expect(broken.outcome).toBe("Error");
    expect(broken.message).toMatch(
      /^broken: query failed: Prometheus at http:\/\/127\.0\.0\.1:\d+ refused the query \(400 bad_data\): .*parse error/,
    );

    const several = await measure({ name: "several", query: 'agentry_requests_total{status="200"}', max: 1 });
    expect(several.outcome).toBe("Error");
    expect(several.message).toMatch(
      /returned \d+ series \(agentry_requests_total\{.*\}, \.\.\.\); it must return one number/,
    );

    // Prometheus spells it "+Inf"; it is a value above every bound.
    expect(await measure({ name: "inf", query: "sum(vector(1)) / 0", max: 1000 })).toMatchObject({
      outcome: "Failed",
      value: Number.POSITIVE_INFINITY,
      message: "inf: +Inf is above max 1000",
    });

    const matrix = await measure({ name: "matrix", query: "up[1m]", max: 1 });
    expect(matrix.message).toContain("the query returned a matrix; it must return one number");
    expect(
      await measure({ name: "scalar", query: "scalar(vector(2)) * 2", successCondition: "result == 4" }),
    ).toMatchObject({
      outcome: "Successful",
      value: 4,
    });
  });

  it("takes a whole round and fails the analysis on the canary's errors", async () => {
    const spec = analysisSpec.parse({
      metrics: [
        { name: "errors", builtin: "errorRate", max: 0.05 },
        { name: "p95", builtin: "latencyP95Seconds", max: 2 },
        { name: "tokens", builtin: "tokensPerRequest", maxRatioToStable: 1.5 },
      ],
      interval: "1m",
    });
    const now = new Date();
    const round = await measureMetrics(spec.metrics, context, client.query, now);
    expect(round.map((m) => [m.metric, m.outcome])).toEqual([
      ["errors", "Failed"],
      ["p95", "Successful"],
      ["tokens", "Successful"],
    ]);
    const status = recordMeasurements(startAnalysis(spec, now), spec, round, now, { background: false });
    expect(status).toMatchObject({ phase: "Failed", failures: 1, measurements: 1 });
    expect(status.message).toBe("errors: 0.5 is above max 0.05 (1 failed measurement, failureLimit 0)");
  });

  it("runs analyses round by round to their verdicts", async () => {
    const spec = analysisSpec.parse({
      metrics: [
        { name: "errors", builtin: "errorRate", max: 0.05 },
        { name: "llm", builtin: "llmErrorRate", max: 0.05 },
      ],
      interval: "10s",
    });
    const start = new Date();
    const onStable = { ...context, canaryRevision: "stable1", stableRevision: undefined };
    let stable = startAnalysis(spec, start);
    const phases: string[] = [];
    for (let round = 0; round < 3; round++) {
      const now = new Date(start.getTime() + round * 10_000);
      expect(measurementDue(stable, spec, now)).toBe(true);
      const measurements = await measureMetrics(spec.metrics, onStable, client.query, now);
      stable = recordMeasurements(stable, spec, measurements, now, { background: false });
      phases.push(stable.phase);
      if (round < 2) expect(nextRequeueMs(stable, now)).toBe(10_000);
    }
    expect(phases).toEqual(["Running", "Running", "Successful"]);
    expect(stable).toMatchObject({
      measurements: 3,
      failures: 0,
      message: "3 measurements taken, all passed",
    });

    const round = await measureMetrics(spec.metrics, context, client.query, start);
    const canary = recordMeasurements(startAnalysis(spec, start), spec, round, start, { background: true });
    expect(canary).toMatchObject({ phase: "Failed", failures: 1 });
    expect(canary.message).toBe(
      "errors: 0.5 is above max 0.05; llm: 0.5 is above max 0.05 (1 failed measurement, failureLimit 0)",
    );
  });

  it("is an Error when Prometheus cannot be reached", async () => {
    const gone = createPrometheusClient({ address: "http://127.0.0.1:1" }, { timeoutMs: 2000 });
    try {
      const measurement = await measureMetric(
        { name: "errors", builtin: "errorRate", max: 0.05 },
        context,
        gone.query,
        new Date(),
      );
      expect(measurement.outcome).toBe("Error");
      expect(measurement.message).toBe(
        "errors: query failed: Prometheus at http://127.0.0.1:1 unreachable: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1",
      );
    } finally {
      await gone.close();
    }
  });
});
