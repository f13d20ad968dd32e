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

  const analysis = () => ({
    prometheus: { address: prometheus.url },
    interval: "2s",
    // Time for Prometheus to discover the new revision's pods (its scrape manager applies new
    // targets at most every 5 s) and scrape them twice.
    initialDelay: "8s",
    count: 2,
    inconclusiveLimit: 1,
    metrics: [
      { name: "errors", builtin: "errorRate", max: 0.05 },
      { name: "latency", builtin: "latencyP95Seconds", maxRatioToStable: 1.5 },
    ],
  });
  const canarySpec = (model: string) => ({
    replicas: 2,
    agent: { model, provider: openaiKey },
    strategy: { type: "Canary", canary: { steps: [{ setWeight: 50 }, { analysis: analysis() }] } },
  });
  const blueGreenSpec = (model: string) => ({
    replicas: 2,
    agent: { model, provider: openaiKey },
    strategy: {
      type: "BlueGreen",
      blueGreen: { previewReplicas: 1, autoPromotionEnabled: true, prePromotionAnalysis: analysis() },
    },
  });
  const status = async (name: string) => (await agents.agent(name)).status;
  /**
   * Applies the spec and, once the operator names the new revision, serves its pods with
   * `errorShare` of 5xx (none at all: undefined).
   */
  const rollOut = async (name: string, manifest: Record<string, unknown>, errorShare: number | undefined) => {
    const stable = (await status(name))?.stableRevision;
    await agents.applyAgent(name, manifest);
    let update = "";
    await eventually(async () => {
      update = (await status(name))?.updateRevision ?? "";
      return update !== "" && update !== stable;
    }, 30_000);
    if (errorShare !== undefined) await servePods(name, update, errorShare);
    return update;
  };
  /** First revision of an agent, Healthy, with pods answering without errors. */
  const deploy = async (name: string, manifest: Record<string, unknown>) => {
    await agents.applyAgent(name, manifest);
    await agents.waitReady(name);
    await servePods(name, (await status(name))?.stableRevision ?? "", 0);
  };

  beforeAll(async () => {
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
  });

  it.skipIf(!available)(
    "promotes a canary whose error rate passes, and aborts one answering half its requests with 5xx",
    async () => {
      await deploy("bot", canarySpec("gpt-4o-mini"));
      const good = await rollOut("bot", canarySpec("gpt-4o"), 0);
      await eventually(async () => {
        const current = await status("bot");
        return current?.phase === "Healthy" && current.stableRevision === good;
      }, 90_000);
      const passed = (await agents.events("bot", "AnalysisSuccessful")).map((event) => event.message);
      expect(passed.join("\n")).toContain("2 measurements taken");

      const bad = await rollOut("bot", canarySpec("gpt-4.1"), 0.5);
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

  it.skipIf(!available)(
    "pauses a canary that gets no traffic: no data is inconclusive, never a pass",
    async () => {
      await deploy("quiet", canarySpec("gpt-4o-mini"));
      await rollOut("quiet", canarySpec("gpt-4o"), undefined);
      await eventually(
        async () => (await status("quiet"))?.canary?.analysis?.phase === "Inconclusive",
        60_000,
      );
      const paused = await status("quiet");
      expect(paused?.phase).toBe("Paused");
      expect(paused?.aborted).toBeFalsy();
      expect(paused?.message).toContain("no data for revision");
      expect(paused?.message).toContain("annotate agentry.dev/promote to go on or agentry.dev/abort");
    },
  );

  it.skipIf(!available)(
    "rolls back automatically when the promoted revision fails its post-promotion analysis",
    async () => {
      const postPromotion = (model: string) => ({
        replicas: 2,
        agent: { model, provider: openaiKey },
        strategy: {
          type: "BlueGreen",
          blueGreen: { scaleDownDelaySeconds: 0, postPromotionAnalysis: analysis() },
        },
      });
      await deploy("post", postPromotion("gpt-4o-mini"));
      const blue = (await status("post"))?.stableRevision ?? "";
      const green = await rollOut("post", postPromotion("gpt-4o"), 0.5);
      // Promoted at once (nothing to wait for before), then measured while blue is kept.
      await eventually(async () => (await status("post"))?.blueGreen?.promotedAt !== undefined, 60_000);
      expect((await agents.serviceSelector("post"))["agentry.dev/revision"]).toBe(green);
      await eventually(async () => (await status("post"))?.aborted === true, 60_000);
      const rolledBack = await status("post");
      expect(rolledBack).toMatchObject({ phase: "Degraded", stableRevision: blue, updateRevision: green });
      expect(rolledBack?.abortMessage).toContain("post-promotion analysis failed");
      expect((await agents.serviceSelector("post"))["agentry.dev/revision"]).toBe(blue);
      const replicas = Object.fromEntries(
        (await agents.deployments("post")).map((deployment) => [
          deployment.metadata.labels["agentry.dev/revision"],
          deployment.spec.replicas,
        ]),
      );
      expect(replicas[blue]).toBe(2);
    },
  );

  it.skipIf(!available)(
    "keeps the active revision when the preview fails its pre-promotion analysis",
    async () => {
      await deploy("bg", blueGreenSpec("gpt-4o-mini"));
      const blue = (await status("bg"))?.stableRevision;
      const green = await rollOut("bg", blueGreenSpec("gpt-4o"), 0.5);
      await eventually(async () => (await status("bg"))?.aborted === true, 60_000);
      const aborted = await status("bg");
      expect(aborted).toMatchObject({ stableRevision: blue, updateRevision: green });
      expect(aborted?.blueGreen).toMatchObject({ activeRevision: blue, analysis: { phase: "Failed" } });
      expect(aborted?.abortMessage).toContain("errors: 0.5 is above max 0.05");
    },
  );
});
