/**
 * Every PromQL expression the chart ships (the PrometheusRule's alerts and the Grafana dashboard's
 * panels) is checked by promtool, then run by a real Prometheus that scrapes a real operator (as
 * the chart's ServiceAccount) and a real runtime that has served requests.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { stringify } from "yaml";
import { agentCluster, useOperator } from "../../operator/agent-cluster.ts";
import { describeWithCluster, useTestNamespace } from "../../support/cluster.ts";
import { run } from "../../support/cluster-exec.ts";
import { CHART_DIR } from "../../support/operator-identity.ts";
import { findPrometheusBinary, PROMETHEUS_HOW_TO_BUILD } from "../../support/prometheus-binaries.ts";
import {
  type PrometheusServerHandle,
  prometheusAvailable,
  startPrometheusServer,
} from "../../support/prometheus-server.ts";
import {
  type RedisServerHandle,
  redisServerAvailable,
  startRedisServer,
} from "../../support/redis-server.ts";
import { requireRealPart } from "../../support/require-real-part.ts";
import { type RuntimeProcess, startRuntimeProcess } from "../../support/runtime-process.ts";
import { type StubModelServer, startStubModelServer } from "../../support/stub-model-server.ts";
import { waitFor } from "../../support/wait-for.ts";
import { parseRendered, renderChart } from "./chart-render.ts";

/**
 * The operator's scrape job here: what a ServiceMonitor names the job of release "agentry"'s
 * metrics Service, which the chart's rules select by default.
 */
const OPERATOR_JOB = "agentry-metrics";

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

/** An instant query through the HTTP API, answered as Prometheus sends it (errors included). */
async function instantQuery(url: string, expr: string): Promise<QueryResult> {
  const response = await fetch(`${url}/api/v1/query`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query: expr }),
  });
  return (await response.json()) as QueryResult;
}
/** Grafana's $__rate_interval: at least four scrape intervals; Prometheus here scrapes every second. */
const RATE_INTERVAL = "30s";

interface AlertRule {
  alert: string;
  expr: string;
}

interface Dashboard {
  panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
}

function dashboardExpressions(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(
    readFileSync(path.join(CHART_DIR, "dashboards", "agentry.json"), "utf8"),
  ) as Dashboard;
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title,
      expr: target.expr.replaceAll("$__rate_interval", RATE_INTERVAL),
    })),
  );
}

const available =
  prometheusAvailable("charts/agentry PromQL") &&
  requireRealPart(
    "promtool",
    findPrometheusBinary("promtool") !== undefined,
    PROMETHEUS_HOW_TO_BUILD,
    "charts/agentry PromQL",
  ) &&
  redisServerAvailable("charts/agentry PromQL");

describeWithCluster(
  "charts/agentry PromQL",
  (cluster) => {
    const ns = useTestNamespace(cluster);
    const agents = agentCluster(cluster, ns);
    const operator = useOperator(cluster, ns, "promql");
    let rules: AlertRule[] = [];
    let redis: RedisServerHandle;
    let stub: StubModelServer;
    let runtime: RuntimeProcess;
    let prometheus: PrometheusServerHandle & { query(expr: string): Promise<QueryResult> };
    const ruleGroups = async () => {
      const rendered = parseRendered(await renderChart(cluster, ["prometheusRule.enabled=true"]));
      const rule = rendered.find((object) => object.kind === "PrometheusRule");
      if (!rule) throw new Error("prometheusRule.enabled=true rendered no PrometheusRule");
      return (rule.spec as { groups: Array<{ name: string; rules: AlertRule[] }> }).groups;
    };

    beforeAll(async () => {
      rules = (await ruleGroups()).flatMap((group) => group.rules);
      [redis, stub] = await Promise.all([startRedisServer(), startStubModelServer()]);
      runtime = await startRuntimeProcess({
        AGENTRY_MODEL: "test-model",
        AGENTRY_PROVIDER_BASE_URL: stub.url,
        AGENTRY_REDIS_URL: redis.url,
        AGENTRY_REDIS_KEY_PREFIX: `promql:${randomUUID()}:`,
        AGENTRY_CACHE_TTL_SECONDS: "60",
        AGENTRY_TEMPERATURE: "0",
        AGENTRY_AGENT: "support-bot",
        AGENTRY_REVISION: "r1",
      });
      const server = await startPrometheusServer({
        jobs: [
          { job: OPERATOR_JOB, targets: [`127.0.0.1:${operator.process.port}`] },
          { job: "agent-runtime", targets: [`127.0.0.1:${runtime.port}`] },
        ],
      });
      prometheus = { ...server, query: (expr) => instantQuery(server.url, expr) };
    });

    afterAll(async () => {
      await prometheus?.stop();
      await runtime?.stop();
      await stub?.close();
      await redis?.stop();
    });

    it("promtool accepts every alert and every dashboard expression", async () => {
      expect(rules.map((rule) => rule.alert)).toEqual([
        "AgentryAgentDegraded",
        "AgentryRolloutAborted",
        "AgentryReconcileErrors",
        "AgentryNoLeader",
        "AgentryWorkQueueStalled",
        "AgentryReconcileHung",
      ]);
      const dir = mkdtempSync(path.join(tmpdir(), "promtool-"));
      const file = path.join(dir, "rules.yaml");
      const dashboardGroup = {
        name: "agentry-dashboard",
        rules: dashboardExpressions().map(({ expr }, index) => ({
          record: `agentry_dashboard:panel_${index}`,
          expr,
        })),
      };
      const groups = [...(await ruleGroups()), dashboardGroup];
      writeFileSync(file, stringify({ groups }));
      const result = await run(findPrometheusBinary("promtool") ?? "promtool", ["check", "rules", file]);
      expect(result.stdout + result.stderr).toContain(
        `SUCCESS: ${rules.length + dashboardGroup.rules.length} rules found`,
      );
      expect(result.code).toBe(0);
    });

    it("a real Prometheus runs every expression against the operator's and the runtime's metrics", async () => {
      await agents.applyAgent("watched", { agent: { model: "m" } });
      await agents.waitReady("watched", "60s");
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${runtime.url}/v1/chat`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: "hello" }),
        });
        expect(response.status).toBe(200);
      }
      // Enough scrapes for a rate over RATE_INTERVAL on both jobs.
      const series = async (expr: string) => (await prometheus.query(expr)).data?.result.length ?? 0;
      await waitFor(
        "two scrapes of the served requests",
        async () => (await series(`count_over_time(agentry_requests_total[${RATE_INTERVAL}]) >= 3`)) > 0,
        30_000,
      );
      await waitFor(
        "operator reconciles in Prometheus",
        async () => (await series("agentry_reconcile_total")) > 0,
        30_000,
      );

      for (const { panel, expr } of dashboardExpressions()) {
        const answer = await prometheus.query(expr);
        expect({ panel, status: answer.status, error: answer.error }).toEqual({
          panel,
          status: "success",
          error: undefined,
        });
      }
      const withData = [
        "Leader replicas",
        "Agents by phase",
        "Reconciles by result",
        "Work queue depth and retries",
        "API requests by verb and code",
        "Operator memory and CPU",
        "Requests by status",
        "Request latency p95 by revision",
        "In-flight requests",
        "Model calls by outcome",
        "Tokens by kind",
        "Response cache hit ratio",
        "Dependencies up",
      ];
      for (const { panel, expr } of dashboardExpressions().filter(({ panel }) => withData.includes(panel))) {
        expect({ panel, series: await series(expr) }).not.toEqual({ panel, series: 0 });
      }
      expect(Number((await prometheus.query("sum(agentry_leader)")).data?.result[0]?.value[1])).toBe(1);
      expect(
        Number((await prometheus.query('max(agentry_agents{phase="Healthy"})')).data?.result[0]?.value[1]),
      ).toBe(1);

      // A healthy operator fires nothing; an operator Prometheus cannot see has no leader.
      for (const rule of rules) {
        const answer = await prometheus.query(rule.expr);
        expect({ alert: rule.alert, status: answer.status, firing: answer.data?.result.length }).toEqual({
          alert: rule.alert,
          status: "success",
          firing: 0,
        });
      }
      const noLeader = rules.find((rule) => rule.alert === "AgentryNoLeader")?.expr ?? "";
      expect(await series(noLeader.replaceAll(`job="${OPERATOR_JOB}"`, 'job="elsewhere"'))).toBe(1);
      expect(
        await operator.process.sum("agentry_kube_requests_total", (labels) => labels.code === "403"),
      ).toBe(0);
    });
  },
  available,
);
