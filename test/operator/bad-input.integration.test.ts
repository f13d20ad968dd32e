import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { type OperatorProcess, startOperator } from "../support/operator-process.ts";
import {
  type AgentObject,
  agentManifest,
  type DeploymentObject,
  openaiKey,
  secretManifest,
} from "./agent-manifests.ts";

describeWithCluster("operator: specs the API server accepts but that cannot run", (cluster) => {
  const ns = useTestNamespace(cluster);
  let operator: OperatorProcess;
  const agent = (name: string) => cluster.kubectlJson<AgentObject>(["get", "agd", name, "-n", ns.name]);
  const condition = async (name: string, type: string) =>
    (await agent(name)).status?.conditions?.find((candidate) => candidate.type === type);
  const warnings = async (name: string) =>
    (
      await cluster.kubectlJson<{ items: Array<{ reason: string; type: string; message: string }> }>([
        "get",
        "events",
        "-n",
        ns.name,
        "--field-selector",
        `involvedObject.name=${name},type=Warning`,
      ])
    ).items;
  const stalledWith = (name: string, reason: string) => async () => {
    const stalled = await condition(name, "Stalled");
    return stalled?.status === "True" && stalled.reason === reason;
  };

  beforeAll(async () => {
    operator = await startOperator({
      kubeconfig: cluster.kubeconfig,
      namespace: ns.name,
      identity: "bad-input",
      env: { AGENTRY_LEADER_ELECTION: "false" },
    });
  });
  afterAll(async () => {
    await operator?.stop();
  });

  it("stalls on a missing Secret with a message that says what to fix, then recovers when it appears", async () => {
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      agentManifest("no-secret", { agent: { model: "m", provider: openaiKey } }),
    );
    await eventually(stalledWith("no-secret", "MissingReference"), 60_000);
    const { status } = await agent("no-secret");
    expect(status?.phase).toBe("Degraded");
    expect(status?.message).toBe("Secret openai (spec.agent.provider.apiKeySecretRef) does not exist");
    expect((await condition("no-secret", "Ready"))?.status).toBe("False");
    await eventually(
      async () => (await warnings("no-secret")).some((event) => event.reason === "MissingReference"),
      30_000,
    );
    expect(
      await cluster.kubectl([
        "get",
        "deployments",
        "-n",
        ns.name,
        "-l",
        "agentry.dev/agent=no-secret",
        "-o",
        "name",
      ]),
    ).toBe("");

    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      secretManifest("openai", { "api-key": "sk-1" }),
    );
    await cluster.kubectl(["wait", "agd/no-secret", "-n", ns.name, "--for=condition=Ready", "--timeout=60s"]);
    expect((await condition("no-secret", "Stalled"))?.status).toBe("False");
  });

  it("names the missing key of an existing Secret", async () => {
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      agentManifest("no-key", {
        agent: { model: "m", provider: { apiKeySecretRef: { name: "openai", key: "other" } } },
      }),
    );
    await eventually(stalledWith("no-key", "MissingReference"), 60_000);
    expect((await agent("no-key")).status?.message).toBe(
      'Secret openai has no key "other" (spec.agent.provider.apiKeySecretRef)',
    );
  });

  it("stalls on a tool agentRef to a missing agent, and recovers when that agent is created", async () => {
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      agentManifest("caller", {
        agent: { model: "m", tools: [{ name: "ask", agentRef: { name: "helper" } }] },
      }),
    );
    await eventually(stalledWith("caller", "MissingAgentRef"), 60_000);
    expect((await agent("caller")).status?.message).toContain("helper");
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      agentManifest("helper", { agent: { model: "m" } }),
    );
    await cluster.kubectl(["wait", "agd/caller", "-n", ns.name, "--for=condition=Ready", "--timeout=60s"]);
  });

  it("keeps a running revision untouched when an update refers to something missing", async () => {
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      agentManifest("running", { agent: { model: "m" } }),
    );
    await cluster.kubectl(["wait", "agd/running", "-n", ns.name, "--for=condition=Ready", "--timeout=60s"]);
    const before = (
      await cluster.kubectlJson<{ items: DeploymentObject[] }>([
        "get",
        "deployments",
        "-n",
        ns.name,
        "-l",
        "agentry.dev/agent=running",
      ])
    ).items;
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      agentManifest("running", {
        agent: { model: "m", systemPromptFrom: { configMapKeyRef: { name: "prompts", key: "main" } } },
      }),
    );
    await eventually(stalledWith("running", "MissingReference"), 60_000);
    expect((await agent("running")).status?.message).toBe(
      "ConfigMap prompts (spec.agent.systemPromptFrom.configMapKeyRef) does not exist",
    );
    const after = (
      await cluster.kubectlJson<{ items: DeploymentObject[] }>([
        "get",
        "deployments",
        "-n",
        ns.name,
        "-l",
        "agentry.dev/agent=running",
      ])
    ).items;
    expect(
      after.map((deployment) => [
        deployment.metadata.name,
        deployment.spec.replicas,
        deployment.status?.availableReplicas,
      ]),
    ).toEqual(
      before.map((deployment) => [
        deployment.metadata.name,
        deployment.spec.replicas,
        deployment.status?.availableReplicas,
      ]),
    );
  });

  it("reports what the API server refuses in a child (an invalid affinity) instead of crashing", async () => {
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      agentManifest("bad-affinity", {
        agent: { model: "m" },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "Sometimes" }] }],
            },
          },
        },
      }),
    );
    await eventually(stalledWith("bad-affinity", "ApplyFailed"), 60_000);
    expect((await agent("bad-affinity")).status?.message).toContain("Sometimes");
    // The operator is alive and still serves the other agents.
    expect((await fetch(`http://127.0.0.1:${operator.port}/healthz`)).status).toBe(200);
  });
});
