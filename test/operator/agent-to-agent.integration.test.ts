import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";
import { openaiKey } from "./agent-manifests.ts";

// The orchestrator pattern: one agent routing to a specialist, auth on both.
describeWithCluster("operator: an agent calling another agent with auth on", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  useOperator(cluster, ns, "agent-to-agent");
  const model = { model: "gpt-4o-mini", provider: openaiKey };
  const credentialOf = async (agent: string) => {
    const [deployment] = await agents.deployments(agent);
    const env = deployment?.spec.template.spec.containers[0]?.env ?? [];
    return env.find((variable) => variable.name === "AGENTRY_TOOL_CREDENTIAL_0");
  };

  it("wires the called agent's key into the caller by reference, and a rotation rolls out the caller", async () => {
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
    await agents.applySecret("specialist-keys", { keys: "specialist-key-0123456789-a" });
    await agents.applyAgent("specialist", {
      agent: model,
      auth: { mode: "apiKey", secretRef: { name: "specialist-keys", key: "keys" } },
    });
    await agents.applyAgent("router", {
      agent: { ...model, tools: [{ name: "ask-specialist", agentRef: { name: "specialist" } }] },
      auth: { mode: "apiKey" },
    });
    await agents.waitReady("specialist");
    await agents.waitReady("router");
    expect(await credentialOf("router")).toEqual({
      name: "AGENTRY_TOOL_CREDENTIAL_0",
      valueFrom: { secretKeyRef: { name: "specialist-keys", key: "keys" } },
    });
    const [before] = await agents.deployments("router");
    expect(JSON.stringify(before)).not.toContain("specialist-key-0123456789");

    const revision = (await agents.agent("router")).status?.updateRevision;
    await agents.applySecret("specialist-keys", { keys: "specialist-key-0123456789-b" });
    await eventually(async () => {
      const status = (await agents.agent("router")).status;
      return status?.phase === "Healthy" && status.updateRevision !== revision;
    }, 90_000);
  });

  it("stalls a caller of a jwt agent that has no credential, naming the tool, until one is set", async () => {
    await agents.applySecret("jwt-secret", { secret: "a-secret-of-at-least-thirty-two-bytes!!" });
    await agents.applySecret("idp-token", { token: "a-token-the-idp-agent-accepts" });
    await agents.applyAgent("idp-agent", {
      agent: model,
      auth: { mode: "jwt", secretRef: { name: "jwt-secret", key: "secret" } },
    });
    const tool = { name: "ask-idp", agentRef: { name: "idp-agent" } };
    await agents.applyAgent("idp-router", { agent: { ...model, tools: [tool] } });
    await eventually(
      async () => (await agents.condition("idp-router", "Stalled"))?.reason === "MissingToolCredential",
      60_000,
    );
    expect((await agents.condition("idp-router", "Stalled"))?.message).toContain("ask-idp");
    await agents.applyAgent("idp-router", {
      agent: { ...model, tools: [{ ...tool, credentialSecretRef: { name: "idp-token", key: "token" } }] },
    });
    await agents.waitReady("idp-router");
    expect(await credentialOf("idp-router")).toEqual({
      name: "AGENTRY_TOOL_CREDENTIAL_0",
      valueFrom: { secretKeyRef: { name: "idp-token", key: "token" } },
    });
  });
});
