/**
 * Canary analysis end to end: the operator on the real control plane measures each new revision
 * in a real Prometheus. Pods do not run on the plane (kwok plays them), so loopback exporters
 * built from the runtime's own metrics stand in for each revision's pods, with the labels the
 * contract asks for (namespace from service discovery, agent and revision from the runtime); they
 * appear in Prometheus through file-based discovery once the revision exists, as pods would.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RuntimeMetrics } from "../../agent-runtime/observability/metrics.ts";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import {
  type PrometheusServerHandle,
  prometheusAvailable,
  startPrometheusServer,
} from "../support/prometheus-server.ts";
import {
  type RuntimeMetricsExporter,
  startRuntimeMetricsExporter,
} from "../support/runtime-metrics-exporter.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";
import { openaiKey } from "./agent-manifests.ts";

const SUITE = "operator: canary analysis against a real Prometheus";
const available = prometheusAvailable(SUITE);

describeWithCluster(SUITE, (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  useOperator(cluster, ns, "analysis");
  let prometheus: PrometheusServerHandle;
  const exporters: RuntimeMetricsExporter[] = [];

  beforeAll(async () => {
    if (available) prometheus = await startPrometheusServer({ jobs: [], discovered: true });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(exporters.map((exporter) => exporter.close()));
  });

  /** Pods of `revision` answering `errorShare` of their requests with 5xx, seen by Prometheus. */
  const servePods = async (name: string, revision: string, errorShare: number) => {
    const tick = (m: RuntimeMetrics) => {
      m.requests.inc({ route: "/v1/chat", status: "200" }, 10 * (1 - errorShare));
      m.requests.inc({ route: "/v1/chat", status: "503" }, 10 * errorShare);
      m.requestDuration.observe({ route: "/v1/chat" }, 0.2);
    };
    exporters.push(await startRuntimeMetricsExporter({ revision, agent: name, tick }));
    prometheus.setDiscovered([
      { targets: exporters.map((exporter) => exporter.target), labels: { namespace: ns.name } },
    ]);
  };

  const spec = (model: string) => ({
    replicas: 2,
    agent: { model, provider: openaiKey },
    strategy: {
      type: "Canary",
      canary: {
        steps: [
          { setWeight: 50 },
          {
            analysis: {
              prometheus: { address: prometheus.url },
              interval: "2s",
              // Time for Prometheus to discover and scrape the new revision twice.
              initialDelay: "4s",
              count: 2,
              inconclusiveLimit: 3,
              metrics: [
                { name: "errors", builtin: "errorRate", max: 0.05 },
                { name: "latency", builtin: "latencyP95Seconds", maxRatioToStable: 1.5 },
              ],
            },
          },
        ],
      },
    },
  });
  const status = async (name: string) => (await agents.agent(name)).status;
  /** Applies `model` and, once the operator names the new revision, serves its pods. */
  const rollOut = async (name: string, model: string, errorShare: number) => {
    const stable = (await status(name))?.stableRevision;
    await agents.applyAgent(name, spec(model));
    let update = "";
    await eventually(async () => {
      update = (await status(name))?.updateRevision ?? "";
      return update !== "" && update !== stable;
    }, 30_000);
    await servePods(name, update, errorShare);
    return update;
  };

  it.skipIf(!available)(
    "promotes a canary whose error rate passes, and aborts one answering half its requests with 5xx",
    async () => {
      await agents.applySecret("openai", { "api-key": "sk-test-1" });
      await agents.applyAgent("bot", spec("gpt-4o-mini"));
      await agents.waitReady("bot");
      const first = (await status("bot"))?.stableRevision ?? "";
      await servePods("bot", first, 0);

      const good = await rollOut("bot", "gpt-4o", 0);
      await eventually(async () => {
        const current = await status("bot");
        return current?.phase === "Healthy" && current.stableRevision === good;
      }, 90_000);
      const passed = (await agents.events("bot", "AnalysisSuccessful")).map((event) => event.message);
      expect(passed.join("\n")).toContain("2 measurements taken");

      const bad = await rollOut("bot", "gpt-4.1", 0.5);
      await eventually(async () => (await status("bot"))?.aborted === true, 90_000);
      const aborted = await status("bot");
      expect(aborted?.stableRevision).toBe(good);
      expect(aborted?.updateRevision).toBe(bad);
      expect(aborted?.canary?.analysis).toMatchObject({
        phase: "Failed",
        failures: 1,
        lastMeasurements: [
          expect.objectContaining({ metric: "errors", outcome: "Failed", value: 0.5 }),
          expect.objectContaining({ metric: "latency", outcome: "Successful", value: expect.any(Number) }),
        ],
      });
      expect(aborted?.abortMessage).toContain("errors: 0.5 is above max 0.05");
    },
  );
});
