import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";
import { redisMemory } from "./agent-manifests.ts";

describeWithCluster("operator: killed in the middle of a rollout", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  const operator = useOperator(cluster, ns, "resume");
  const spec = (image: string) => ({ replicas: 3, image, agent: { model: "m", memory: redisMemory } });

  it("picks the rollout up where it stopped and finishes it", async () => {
    await agents.applySecret("redis", { url: "redis://redis:6379" });
    await agents.applyAgent("bot", spec("runtime:1"));
    await agents.waitReady("bot", "60s");
    const stable = (await agents.agent("bot")).status?.updateRevision;

    // New pods never become ready: the rollout holds at its first surge step.
    const failure = await cluster.failReadiness({
      namespace: ns.name,
      selector: {
        matchLabels: { "agentry.dev/agent": "bot" },
        matchExpressions: [{ key: "agentry.dev/revision", operator: "NotIn", values: [stable ?? ""] }],
      },
    });
    await agents.applyAgent("bot", spec("runtime:2"));
    await eventually(async () => (await agents.deployments("bot")).length === 2, 60_000);
    await eventually(async () => (await agents.agent("bot")).status?.phase === "Progressing", 30_000);
    expect(await operator.process.stop("SIGKILL")).toBeNull();

    // Mid-rollout: the old revision still serves with all 3 pods.
    const old = (await agents.deployments("bot")).find(
      (deployment) => deployment.metadata.name === `bot-${stable}`,
    );
    expect(old?.status?.availableReplicas).toBe(3);

    await operator.restart();
    await failure.restore();
    await eventually(async () => {
      const status = (await agents.agent("bot")).status;
      return status?.phase === "Healthy" && status.updateRevision !== stable;
    }, 90_000);
    const revision = (await agents.agent("bot")).status?.updateRevision;
    expect((await agents.deployments("bot")).map((deployment) => deployment.metadata.name)).toEqual([
      `bot-${revision}`,
    ]);
  });
});
