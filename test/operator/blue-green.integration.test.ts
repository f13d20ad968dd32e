import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";
import { openaiKey } from "./agent-manifests.ts";

describeWithCluster("operator: blue-green rollouts on a real control plane", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  useOperator(cluster, ns, "blue-green");
  const spec = (model: string, blueGreen: Record<string, unknown>) => ({
    replicas: 3,
    agent: { model, provider: openaiKey },
    strategy: { type: "BlueGreen", blueGreen },
  });
  const status = async (name: string) => (await agents.agent(name)).status;
  const revisionOf = (selector: Record<string, string>) => selector["agentry.dev/revision"];
  const replicasByRevision = async (name: string) =>
    Object.fromEntries(
      (await agents.deployments(name)).map((deployment) => [
        deployment.metadata.labels["agentry.dev/revision"],
        deployment.spec.replicas,
      ]),
    );

  it("runs the new revision behind NAME-preview, switches NAME on promote, then scales the old one down", async () => {
    const manual = { autoPromotionEnabled: false, previewReplicas: 1, scaleDownDelaySeconds: 2 };
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
    await agents.applyAgent("bot", spec("gpt-4o-mini", manual));
    await agents.waitReady("bot");
    const blue = (await status("bot"))?.stableRevision ?? "";
    expect(revisionOf(await agents.serviceSelector("bot"))).toBe(blue);
    expect(revisionOf(await agents.serviceSelector("bot-preview"))).toBe(blue);

    await agents.applyAgent("bot", spec("gpt-4o", manual));
    await eventually(async () => (await status("bot"))?.phase === "Paused", 60_000);
    const green = (await status("bot"))?.updateRevision ?? "";
    expect(await status("bot")).toMatchObject({
      stableRevision: blue,
      blueGreen: { activeRevision: blue, previewRevision: green },
    });
    expect((await status("bot"))?.message).toContain("waiting for promotion (annotate agentry.dev/promote)");
    expect(revisionOf(await agents.serviceSelector("bot"))).toBe(blue);
    expect(revisionOf(await agents.serviceSelector("bot-preview"))).toBe(green);
    expect(await replicasByRevision("bot")).toEqual({ [blue]: 3, [green]: 1 });

    await agents.annotate("bot", "promote");
    await eventually(async () => revisionOf(await agents.serviceSelector("bot")) === green, 60_000);
    // The old revision keeps its pods through scaleDownDelaySeconds for a quick way back.
    expect((await replicasByRevision("bot"))[blue]).toBe(3);
    await cluster.kubectl(["wait", "agd/bot", "-n", ns.name, "--for=condition=Ready", "--timeout=60s"]);
    expect(await status("bot")).toMatchObject({ phase: "Healthy", stableRevision: green });
    await eventually(async () => (await agents.deployments("bot")).length === 1, 30_000);
    const reasons = (await agents.events("bot")).map((event) => event.reason);
    expect(reasons).toEqual(expect.arrayContaining(["PreviewReady", "Promoted", "RolloutComplete"]));
  });

  it("promotes automatically when autoPromotionEnabled, and aborts on the annotation before that", async () => {
    const green = (await status("bot"))?.stableRevision ?? "";
    await agents.applyAgent("bot", spec("gpt-4.1", { autoPromotionSeconds: 600, scaleDownDelaySeconds: 0 }));
    await eventually(async () => (await status("bot"))?.message?.includes("ready") === true, 60_000);
    await agents.annotate("bot", "abort");
    await eventually(async () => (await status("bot"))?.phase === "Degraded", 30_000);
    const aborted = await status("bot");
    expect(aborted).toMatchObject({ aborted: true, stableRevision: green });
    expect(revisionOf(await agents.serviceSelector("bot"))).toBe(green);
    await eventually(
      async () => (await replicasByRevision("bot"))[aborted?.updateRevision ?? ""] === 0,
      30_000,
    );

    await agents.applyAgent("bot", spec("gpt-4.1-mini", { scaleDownDelaySeconds: 0 }));
    await eventually(async () => {
      const current = await status("bot");
      return current?.phase === "Healthy" && current.stableRevision !== green;
    }, 60_000);
    const promoted = (await status("bot"))?.stableRevision;
    expect(revisionOf(await agents.serviceSelector("bot"))).toBe(promoted);
  });
});
