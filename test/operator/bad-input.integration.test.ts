import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";
import { openaiKey } from "./agent-manifests.ts";

describeWithCluster("operator: specs the API server accepts but that cannot run", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  const operator = useOperator(cluster, ns, "bad-input");
  const warnings = async (name: string) =>
    (
      await cluster.kubectlJson<{ items: Array<{ reason: string }> }>([
        "get",
        "events",
        "-n",
        ns.name,
        "--field-selector",
        `involvedObject.name=${name},type=Warning`,
      ])
    ).items;
  const stalledWith = (name: string, reason: string) => async () => {
    const stalled = await agents.condition(name, "Stalled");
    return stalled?.status === "True" && stalled.reason === reason;
  };
  const replicaSets = async (name: string) =>
    (await agents.deployments(name)).map((deployment) => [
      deployment.metadata.name,
      deployment.spec.replicas,
      deployment.status?.availableReplicas,
    ]);

  it("stalls on a missing Secret with a message that says what to fix, then recovers when it appears", async () => {
    await agents.applyAgent("no-secret", { agent: { model: "m", provider: openaiKey } });
    await eventually(stalledWith("no-secret", "MissingReference"), 60_000);
    const { status } = await agents.agent("no-secret");
    expect(status?.phase).toBe("Degraded");
    expect(status?.message).toBe("Secret openai (spec.agent.provider.apiKeySecretRef) does not exist");
    expect((await agents.condition("no-secret", "Ready"))?.status).toBe("False");
    await eventually(
      async () => (await warnings("no-secret")).some((event) => event.reason === "MissingReference"),
      30_000,
    );
    expect(await agents.deployments("no-secret")).toEqual([]);

    await agents.applySecret("openai", { "api-key": "sk-1" });
    await agents.waitReady("no-secret", "60s");
    expect((await agents.condition("no-secret", "Stalled"))?.status).toBe("False");
  });

  it("names the missing key of an existing Secret", async () => {
    await agents.applyAgent("no-key", {
      agent: { model: "m", provider: { apiKeySecretRef: { name: "openai", key: "other" } } },
    });
    await eventually(stalledWith("no-key", "MissingReference"), 60_000);
    expect((await agents.agent("no-key")).status?.message).toBe(
      'Secret openai has no key "other" (spec.agent.provider.apiKeySecretRef)',
    );
  });

  it("stalls on a tool agentRef to a missing agent, and recovers when that agent is created", async () => {
    await agents.applyAgent("caller", {
      agent: { model: "m", tools: [{ name: "ask", agentRef: { name: "helper" } }] },
    });
    await eventually(stalledWith("caller", "MissingAgentRef"), 60_000);
    expect((await agents.agent("caller")).status?.message).toContain("helper");
    await agents.applyAgent("helper", { agent: { model: "m" } });
    await agents.waitReady("caller", "60s");
    // The caller follows a change of the called agent's port, without waiting for a resync.
    await agents.applyAgent("helper", { agent: { model: "m" }, service: { port: 9090 } });
    await eventually(
      async () => JSON.stringify(await agents.deployments("caller")).includes("svc.cluster.local:9090"),
      30_000,
    );
  });

  it("keeps a running revision untouched when an update refers to something missing", async () => {
    await agents.applyAgent("running", { agent: { model: "m" } });
    await agents.waitReady("running", "60s");
    const before = await replicaSets("running");
    await agents.applyAgent("running", {
      agent: { model: "m", systemPromptFrom: { configMapKeyRef: { name: "prompts", key: "main" } } },
    });
    await eventually(stalledWith("running", "MissingReference"), 60_000);
    // The earlier revision still serves (message, Available); the stall makes the agent Degraded.
    const { status } = await agents.agent("running");
    expect(status?.phase).toBe("Degraded");
    expect(status?.message).toContain(
      "ConfigMap prompts (spec.agent.systemPromptFrom.configMapKeyRef) does not exist",
    );
    expect((await agents.condition("running", "Available"))?.status).toBe("True");
    expect(await replicaSets("running")).toEqual(before);
  });

  it("reports what the API server refuses in a child (an invalid affinity) instead of crashing", async () => {
    const terms = [{ matchExpressions: [{ key: "zone", operator: "Sometimes" }] }];
    await agents.applyAgent("bad-affinity", {
      agent: { model: "m" },
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
      },
    });
    await eventually(stalledWith("bad-affinity", "ApplyFailed"), 60_000);
    expect((await agents.agent("bad-affinity")).status?.message).toContain("Sometimes");
    // The operator is alive and still serves the other agents.
    expect((await fetch(`http://127.0.0.1:${operator.process.port}/healthz`)).status).toBe(200);
  });
});

describeWithCluster("operator: no runtime image anywhere", (cluster) => {
  const ns = useTestNamespace(cluster, "no-image");
  const agents = agentCluster(cluster, ns);
  useOperator(cluster, ns, "no-image", { AGENTRY_RUNTIME_IMAGE: "" });

  it("stalls with NoImage and runs once spec.image is set", async () => {
    await agents.applyAgent("imageless", { agent: { model: "m" } });
    await eventually(
      async () => (await agents.condition("imageless", "Stalled"))?.reason === "NoImage",
      60_000,
    );
    expect((await agents.agent("imageless")).status?.message).toContain("spec.image is empty");
    await agents.applyAgent("imageless", {
      image: "ghcr.io/agentry/agent-runtime:0.1.0",
      agent: { model: "m" },
    });
    await agents.waitReady("imageless", "60s");
  });
});
