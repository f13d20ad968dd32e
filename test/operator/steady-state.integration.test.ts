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
    }
    // The HPA writes spec.replicas (minReplicas 2) through the scale subresource in a real
    // cluster; without a metrics server here, do what it would do.
    await agents.scaleTo("scaled", 2);
    for (const name of Object.keys(specs)) {
      await agents.waitReady(name);
    }
    await cluster.kubectl(["get", "secret", "guarded-auth", "-n", ns.name]);

    // Converged: let in-flight reconciles and watch echoes settle.
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
  }, 180_000);
});
