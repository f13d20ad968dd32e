import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";
import { openaiKey, redisMemory } from "./agent-manifests.ts";

describeWithCluster("operator: an agent's life on a real control plane", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  useOperator(cluster, ns, "lifecycle");
  const spec = { replicas: 2, agent: { model: "gpt-4o-mini", provider: openaiKey, memory: redisMemory } };
  const healthyOnNewRevision = (previous: string | undefined) => async () => {
    const status = (await agents.agent("bot")).status;
    return status?.phase === "Healthy" && status.updateRevision !== previous;
  };

  it("creates the Deployment, Service and PodDisruptionBudget and reports Ready", async () => {
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
    await agents.applySecret("redis", { url: "redis://redis:6379" });
    await agents.applyAgent("bot", spec);
    await agents.waitReady("bot");
    const { status, metadata } = await agents.agent("bot");
    expect(status).toMatchObject({
      phase: "Healthy",
      replicas: 2,
      readyReplicas: 2,
      observedGeneration: metadata.generation,
    });
    expect(status?.stableRevision).toBe(status?.updateRevision);

    const [deployment, ...others] = await agents.deployments("bot");
    expect(others).toEqual([]);
    expect(deployment?.metadata.name).toBe(`bot-${status?.updateRevision}`);
    expect(deployment?.spec.replicas).toBe(2);
    expect(deployment?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ uid: metadata.uid, controller: true }),
    ]);
    const env = deployment?.spec.template.spec.containers[0]?.env ?? [];
    expect(env.find((variable) => variable.name === "AGENTRY_PROVIDER_API_KEY")).toEqual({
      name: "AGENTRY_PROVIDER_API_KEY",
      valueFrom: { secretKeyRef: { name: "openai", key: "api-key" } },
    });
    expect(JSON.stringify(deployment)).not.toContain("sk-test-1");

    const service = await cluster.kubectlJson<{ spec: { selector: Record<string, string> } }>([
      "get",
      "service",
      "bot",
      "-n",
      ns.name,
    ]);
    expect(service.spec.selector).toEqual({ "agentry.dev/agent": "bot" });
    await cluster.kubectl(["get", "poddisruptionbudget", "bot", "-n", ns.name]);
    const columns = await cluster.kubectl(["get", "agd", "bot", "-n", ns.name]);
    expect(columns).toMatch(/NAME\s+PHASE\s+DESIRED\s+READY\s+WEIGHT\s+STEP\s+STABLE\s+UPDATE\s+AGE/);
    expect(columns).toMatch(/bot\s+Healthy\s+2\s+2\s+/);
  });

  it("rolls out an image change as a new revision and removes the old one", async () => {
    const before = (await agents.agent("bot")).status?.updateRevision;
    await cluster.kubectl([
      "patch",
      "agd",
      "bot",
      "-n",
      ns.name,
      "--type=merge",
      "-p",
      '{"spec":{"image":"ghcr.io/agentry/agent-runtime:0.2.0"}}',
    ]);
    await eventually(healthyOnNewRevision(before), 90_000);
    const status = (await agents.agent("bot")).status;
    await eventually(async () => (await agents.deployments("bot")).length === 1, 60_000);
    expect((await agents.deployments("bot"))[0]?.metadata.name).toBe(`bot-${status?.updateRevision}`);
    expect(status?.history?.slice(0, 2).map((entry) => entry.outcome)).toEqual(["Promoted", "Promoted"]);
  });

  it("rolls out a rotated API key", async () => {
    const before = (await agents.agent("bot")).status?.updateRevision;
    await agents.applySecret("openai", { "api-key": "sk-test-2" });
    await eventually(healthyOnNewRevision(before), 90_000);
  });

  it("follows kubectl scale and a scale-subresource write like the HPA's", async () => {
    await cluster.kubectl(["scale", "agd", "bot", "-n", ns.name, "--replicas=3"]);
    await eventually(
      async () =>
        (await agents.deployments("bot"))[0]?.spec.replicas === 3 &&
        (await agents.agent("bot")).status?.readyReplicas === 3,
      60_000,
    );
    await agents.scaleTo("bot", 2);
    await eventually(async () => (await agents.deployments("bot"))[0]?.spec.replicas === 2, 60_000);
    const scale = await cluster.kubectlJson<{ status: { replicas: number; selector: string } }>([
      "get",
      "agd",
      "bot",
      "-n",
      ns.name,
      "--subresource=scale",
    ]);
    expect(scale.status.selector).toBe("agentry.dev/agent=bot");
  });

  it("records rollout transitions as Events on the agent", async () => {
    const events = await cluster.kubectlJson<{ items: Array<{ reason: string; type: string }> }>([
      "get",
      "events",
      "-n",
      ns.name,
      "--field-selector",
      "involvedObject.kind=AgentDeployment,involvedObject.name=bot",
    ]);
    const reasons = events.items.map((event) => event.reason);
    expect(reasons).toContain("RolloutStarted");
    expect(reasons).toContain("RolloutComplete");
  });

  it("lets garbage collection remove every child when the agent is deleted", async () => {
    await cluster.kubectl(["delete", "agd", "bot", "-n", ns.name, "--wait=true", "--timeout=60s"]);
    await eventually(async () => {
      const left = await cluster.kubectl([
        "get",
        "deployments,services,poddisruptionbudgets,horizontalpodautoscalers",
        "-n",
        ns.name,
        "-l",
        "agentry.dev/agent=bot",
        "-o",
        "name",
      ]);
      return left.trim() === "";
    }, 60_000);
  });
});
