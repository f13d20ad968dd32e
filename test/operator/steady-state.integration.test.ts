import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";
import { openaiKey, redisMemory } from "./agent-manifests.ts";

const RESYNC_SECONDS = 10;

describeWithCluster("operator: steady state", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  const operator = useOperator(cluster, ns, "steady", { AGENTRY_RESYNC_SECONDS: String(RESYNC_SECONDS) });
  const writes = () => operator.process.writes();

  const driftRepairs = async () =>
    (
      await cluster.kubectlJson<{ items: Array<{ involvedObject: { name: string }; message: string }> }>([
        "get",
        "events",
        "-n",
        ns.name,
        "--field-selector",
        "involvedObject.kind=AgentDeployment,reason=DriftRepaired",
      ])
    ).items.map((event) => `${event.involvedObject.name}: ${event.message}`);
  const agentNames: string[] = [];
  /** Converged: waits until in-flight reconciles and watch echoes write nothing more; the count. */
  const settle = async () => {
    let settled = await writes();
    await eventually(
      async () => {
        const now = await writes();
        const quiet = now === settled;
        settled = now;
        return quiet;
      },
      60_000,
      3000,
    );
    return settled;
  };

  it("makes zero write requests once converged, however often every object is resynced", async () => {
    await agents.applySecret("openai", { "api-key": "sk-1" });
    await agents.applySecret("redis", { url: "redis://redis:6379" });
    await cluster.kubectl([
      "create",
      "configmap",
      "prompts",
      "-n",
      ns.name,
      "--from-literal=main=You are helpful.",
    ]);
    // Every kind of child: Deployment, Service, HPA, PDB, generated auth Secret, a prompt ConfigMap.
    const specs = {
      plain: { agent: { model: "m", provider: openaiKey } },
      scaled: {
        agent: {
          model: "m",
          provider: openaiKey,
          memory: redisMemory,
          systemPromptFrom: { configMapKeyRef: { name: "prompts", key: "main" } },
        },
        autoscaling: {
          minReplicas: 2,
          maxReplicas: 4,
          targetCPUUtilizationPercentage: 70,
          targetInflightRequests: 8,
        },
        resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: 1073741824 } },
        tolerations: [{ key: "dedicated", operator: "Equal", value: "agents", effect: "NoSchedule" }],
      },
      guarded: {
        replicas: 2,
        agent: { model: "m", provider: openaiKey, memory: redisMemory },
        auth: { mode: "apiKey" },
        rateLimit: { requestsPerMinute: 60 },
        disruption: { minAvailable: "50%" },
        service: { type: "NodePort", port: 8080 },
        env: [
          { name: "EXTRA", value: "1" },
          { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        ],
        probes: { readiness: { periodSeconds: 3 } },
      },
      // The progressive strategies: their Services (NAME-preview, NAME-stable, NAME-canary) and
      // settled status must not be rewritten either.
      canary: {
        replicas: 3,
        agent: { model: "m", provider: openaiKey },
        strategy: { type: "Canary", canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
      },
      "blue-green": {
        replicas: 2,
        agent: { model: "m", provider: openaiKey },
        strategy: { type: "BlueGreen", blueGreen: { previewReplicas: 1 } },
      },
    };
    for (const [name, spec] of Object.entries(specs)) {
      await agents.applyAgent(name, spec);
      agentNames.push(name);
    }
    // The HPA writes spec.replicas (minReplicas 2) through the scale subresource in a real
    // cluster; without a metrics server here, do what it would do.
    await agents.scaleTo("scaled", 2);
    for (const name of Object.keys(specs)) {
      await agents.waitReady(name);
    }
    await cluster.kubectl(["get", "secret", "guarded-auth", "-n", ns.name]);

    const settled = await settle();

    const reconcilesBefore = await operator.process.sum("agentry_reconcile_total");
    await eventually(
      async () =>
        (await operator.process.sum("agentry_reconcile_total")) >=
        reconcilesBefore + 2 * Object.keys(specs).length,
      4 * RESYNC_SECONDS * 1000,
      1000,
    );
    expect(await writes()).toBe(settled);
    const byVerb = await operator.process.metric("agentry_kube_requests_total");
    expect(byVerb.filter((sample) => sample.labels.code?.startsWith("5"))).toEqual([]);
    // Creating an agent (its auth Secret first, then the rest) is not repairing it.
    expect(await driftRepairs()).toEqual([]);
  }, 180_000);

  it("stays at zero writes across an operator restart and relists, mid-rollout agents included", async () => {
    await agents.applyObject({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "routed" },
      spec: {
        parentRefs: [{ name: "public" }],
        rules: [
          {
            backendRefs: [
              { name: "routed-stable", port: 80, weight: 100 },
              { name: "routed-canary", port: 80, weight: 0 },
            ],
          },
        ],
      },
    });
    const steps = [{ setWeight: 20 }, { pause: {} }];
    const rollouts: Record<string, Record<string, unknown>> = {
      // Paused at a canary step, weights on an HTTPRoute.
      routed: {
        replicas: 3,
        strategy: {
          type: "Canary",
          canary: { steps, trafficRouting: { gatewayAPI: { httpRoute: "routed" } } },
        },
      },
      // Paused at a canary step by replica ratio, then aborted: it stays aborted.
      aborted: { replicas: 3, strategy: { type: "Canary", canary: { steps } } },
      // A preview waiting for its promotion.
      preview: {
        replicas: 2,
        strategy: { type: "BlueGreen", blueGreen: { autoPromotionEnabled: false, previewReplicas: 1 } },
      },
    };
    const spec = (name: string, model: string) => ({
      ...rollouts[name],
      agent: { model, provider: openaiKey },
      auth: { mode: "apiKey" },
    });
    for (const name of Object.keys(rollouts)) {
      await agents.applyAgent(name, spec(name, "m"));
      agentNames.push(name);
    }
    for (const name of Object.keys(rollouts)) await agents.waitReady(name);
    for (const name of Object.keys(rollouts)) await agents.applyAgent(name, spec(name, "m2"));
    const phase = async (name: string) => (await agents.agent(name)).status?.phase;
    for (const name of Object.keys(rollouts))
      await eventually(async () => (await phase(name)) === "Paused", 90_000, 500);
    await agents.annotate("aborted", "abort");
    await eventually(async () => (await phase("aborted")) === "Degraded", 60_000, 500);
    // The abort's scale-down done, the route's weights written: no more writes to come.
    await settle();

    // A fresh operator fills every cache from a list; then resyncs and relists come round.
    await operator.process.stop();
    const restarted = await operator.restart();
    const lists = () => restarted.sum("agentry_kube_requests_total", (labels) => labels.verb === "list");
    await eventually(async () => (await lists()) > 0, 30_000, 500);
    const firstLists = await lists();
    await eventually(
      async () =>
        (await restarted.sum("agentry_reconcile_total")) >= 3 * agentNames.length &&
        (await lists()) >= 2 * firstLists,
      6 * RESYNC_SECONDS * 1000,
      1000,
    );
    const written = [...(await restarted.writesByTarget())].filter(([, count]) => count > 0);
    expect(Object.fromEntries(written)).toEqual({});
    expect(await restarted.sum("agentry_drift_repairs_total")).toBe(0);
    expect(await driftRepairs()).toEqual([]);
    expect(await phase("routed")).toBe("Paused");
    expect(await phase("preview")).toBe("Paused");
    expect(await phase("aborted")).toBe("Degraded");
  }, 360_000);
});
