import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { type OperatorProcess, startOperator } from "../support/operator-process.ts";
import {
  type AgentObject,
  agentManifest,
  type DeploymentObject,
  redisMemory,
  secretManifest,
} from "./agent-manifests.ts";

describeWithCluster("operator: killed in the middle of a rollout", (cluster) => {
  const ns = useTestNamespace(cluster);
  let operator: OperatorProcess;
  const spec = (image: string) => ({ replicas: 3, image, agent: { model: "m", memory: redisMemory } });
  const agent = () => cluster.kubectlJson<AgentObject>(["get", "agd", "bot", "-n", ns.name]);
  const deployments = async () =>
    (
      await cluster.kubectlJson<{ items: DeploymentObject[] }>([
        "get",
        "deployments",
        "-n",
        ns.name,
        "-l",
        "agentry.dev/agent=bot",
      ])
    ).items;
  const start = () =>
    startOperator({
      kubeconfig: cluster.kubeconfig,
      namespace: ns.name,
      identity: "resume",
      env: { AGENTRY_LEADER_ELECTION: "false" },
    });

  beforeAll(async () => {
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      secretManifest("redis", { url: "redis://redis:6379" }),
    );
    operator = await start();
  });
  afterAll(async () => {
    await operator?.stop();
  });

  it("picks the rollout up where it stopped and finishes it", async () => {
    await cluster.kubectl(["apply", "-n", ns.name, "-f", "-"], agentManifest("bot", spec("runtime:1")));
    await cluster.kubectl(["wait", "agd/bot", "-n", ns.name, "--for=condition=Ready", "--timeout=60s"]);
    const stable = (await agent()).status?.updateRevision;

    // New pods never become ready: the rollout holds at its first surge step.
    const failure = await cluster.failReadiness({
      namespace: ns.name,
      selector: {
        matchLabels: { "agentry.dev/agent": "bot" },
        matchExpressions: [{ key: "agentry.dev/revision", operator: "NotIn", values: [stable ?? ""] }],
      },
    });
    await cluster.kubectl(["apply", "-n", ns.name, "-f", "-"], agentManifest("bot", spec("runtime:2")));
    await eventually(async () => (await deployments()).length === 2, 60_000);
    await eventually(async () => (await agent()).status?.phase === "Progressing", 30_000);
    expect(await operator.stop("SIGKILL")).toBeNull();

    // Mid-rollout: old revision still serving all 3 pods.
    const old = (await deployments()).find((deployment) => deployment.metadata.name === `bot-${stable}`);
    expect(old?.status?.availableReplicas).toBe(3);

    operator = await start();
    await failure.restore();
    await eventually(async () => {
      const status = (await agent()).status;
      return status?.phase === "Healthy" && status.updateRevision !== stable;
    }, 90_000);
    expect((await deployments()).map((deployment) => deployment.metadata.name)).toEqual([
      `bot-${(await agent()).status?.updateRevision}`,
    ]);
  });
});
