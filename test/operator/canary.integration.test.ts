import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";
import { openaiKey } from "./agent-manifests.ts";

describeWithCluster("operator: canary rollouts on a real control plane", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  useOperator(cluster, ns, "canary");
  const steps = [{ setWeight: 25 }, { pause: { duration: "2s" } }, { setWeight: 50 }, { pause: {} }];
  const spec = (model: string, extra: Record<string, unknown> = {}) => ({
    replicas: 4,
    agent: { model, provider: openaiKey },
    strategy: { type: "Canary", canary: { steps } },
    ...extra,
  });
  const status = async (name: string) => (await agents.agent(name)).status;
  const replicasByRevision = async (name: string) =>
    Object.fromEntries(
      (await agents.deployments(name)).map((deployment) => [
        deployment.metadata.labels["agentry.dev/revision"],
        deployment.spec.replicas,
      ]),
    );
  /** Starts a rollout of `name` and waits until it rests on the indefinite pause at weight 50. */
  const rollToPause = async (name: string, model: string, extra: Record<string, unknown> = {}) => {
    const stable = (await status(name))?.stableRevision;
    await agents.applyAgent(name, spec(model, extra));
    await eventually(async () => {
      const current = await status(name);
      return current?.phase === "Paused" && current.canary?.currentStepIndex === 3;
    }, 60_000);
    return { stable: stable ?? "", update: (await status(name))?.updateRevision ?? "" };
  };

  it("runs a canary step by step to a pause, then to Healthy on the promote annotation", async () => {
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
    await agents.applyAgent("bot", spec("gpt-4o-mini"));
    await agents.waitReady("bot");
    expect(await status("bot")).toMatchObject({ canary: { weight: 100, currentStepIndex: 4, stepCount: 4 } });

    const { stable, update } = await rollToPause("bot", "gpt-4o");
    expect(await status("bot")).toMatchObject({
      phase: "Paused",
      stableRevision: stable,
      updateRevision: update,
      canary: { weight: 50, currentStepIndex: 3, step: "4/4" },
      hpaReplicas: 4,
    });
    expect((await status("bot"))?.message).toContain(
      "canary step 4/4 (pause): weight 50%, paused until promoted",
    );
    await eventually(async () => {
      const replicas = await replicasByRevision("bot");
      return replicas[stable] === 2 && replicas[update] === 2;
    }, 30_000);
    const columns = await cluster.kubectl(["get", "agd", "bot", "-n", ns.name]);
    expect(columns).toMatch(/NAME\s+PHASE\s+DESIRED\s+READY\s+WEIGHT\s+STEP\s+STABLE\s+UPDATE\s+AGE/);
    // STEP is what the message says (step 4 of 4), not the 0-based currentStepIndex 3.
    expect(columns).toMatch(new RegExp(`bot\\s+Paused\\s+4\\s+4\\s+50\\s+4/4\\s+${stable}\\s+${update}`));
    const completed = (await agents.events("bot", "CanaryStepCompleted")).map((event) => event.message);
    // Events carry whole seconds: several in one second come back in any order.
    expect(completed.sort()).toEqual([
      expect.stringMatching(/^step 1\/4 \(setWeight 25\) reached; next: step 2\/4 \(pause 2s\)/),
      expect.stringMatching(/^step 2\/4 \(pause 2s\) pause ended; next: step 3\/4 \(setWeight 50\)/),
      expect.stringMatching(/^step 3\/4 \(setWeight 50\) reached; next: step 4\/4 \(pause\)/),
    ]);

    await agents.annotate("bot", "promote");
    await cluster.kubectl(["wait", "agd/bot", "-n", ns.name, "--for=condition=Ready", "--timeout=60s"]);
    const done = await agents.agent("bot");
    expect(done.status).toMatchObject({ phase: "Healthy", stableRevision: update, canary: { weight: 100 } });
    expect(done.metadata.annotations?.["agentry.dev/promote"]).toBeUndefined();
    expect(done.status?.history?.slice(0, 2).map((entry) => entry.outcome)).toEqual(["Promoted", "Promoted"]);
    await eventually(async () => (await agents.deployments("bot")).length === 1, 30_000);
  });

  it("follows kubectl scale mid-canary on both revisions, split by weight", async () => {
    const { stable, update } = await rollToPause("bot", "gpt-4.1");
    await cluster.kubectl(["scale", "agd", "bot", "-n", ns.name, "--replicas=8"]);
    await eventually(async () => {
      const replicas = await replicasByRevision("bot");
      return replicas[stable] === 4 && replicas[update] === 4;
    }, 30_000);
    const scale = await cluster.kubectlJson<{ spec: { replicas: number }; status: { replicas: number } }>([
      "get",
      "agd",
      "bot",
      "-n",
      ns.name,
      "--subresource=scale",
    ]);
    expect(scale.spec.replicas).toBe(8);
    expect(scale.status.replicas).toBeLessThanOrEqual(8);
  });

  it("aborts on the abort annotation: traffic back to stable at once, the canary scaled down, Degraded", async () => {
    const { stable, update } = {
      stable: (await status("bot"))?.stableRevision ?? "",
      update: (await status("bot"))?.updateRevision ?? "",
    };
    await agents.annotate("bot", "abort");
    await eventually(async () => (await status("bot"))?.phase === "Degraded", 30_000);
    expect(await agents.serviceSelector("bot")).toEqual({
      "agentry.dev/agent": "bot",
      "agentry.dev/revision": stable,
    });
    const aborted = await agents.agent("bot");
    expect(aborted.status).toMatchObject({
      aborted: true,
      stableRevision: stable,
      updateRevision: update,
      canary: { weight: 0 },
    });
    expect(aborted.status?.history?.[0]).toMatchObject({ revision: update, outcome: "Aborted" });
    expect(aborted.metadata.annotations?.["agentry.dev/abort"]).toBeUndefined();
    await cluster.kubectl(["wait", "agd/bot", "-n", ns.name, "--for=condition=Stalled", "--timeout=10s"]);
    await eventually(async () => {
      const replicas = await replicasByRevision("bot");
      return replicas[stable] === 8 && replicas[update] === 0;
    }, 30_000);
    expect((await agents.events("bot", "RolloutAborted")).map((event) => event.type)).toEqual(["Warning"]);

    // Retry: the same revision starts again from step 1, and traffic spreads again.
    await agents.annotate("bot", "retry");
    await eventually(async () => {
      const current = await status("bot");
      return current?.phase === "Paused" && current.canary?.currentStepIndex === 3 && !current.aborted;
    }, 60_000);
    expect(await agents.serviceSelector("bot")).toEqual({ "agentry.dev/agent": "bot" });
  });

  it("replaces an in-flight canary by a newer spec, never running three revisions", async () => {
    const before = await status("bot");
    const seen = new Set<number>();
    await agents.applyAgent("bot", { ...spec("gpt-4.1-mini"), replicas: 8 });
    await eventually(async () => {
      const live = (await agents.deployments("bot")).filter((deployment) => deployment.spec.replicas > 0);
      seen.add(live.length);
      const current = await status("bot");
      return (
        current?.updateRevision !== before?.updateRevision &&
        current?.phase === "Paused" &&
        current.canary?.currentStepIndex === 3
      );
    }, 60_000);
    const after = await status("bot");
    expect(after?.stableRevision).toBe(before?.stableRevision);
    expect(after?.history?.[1]).toMatchObject({ revision: before?.updateRevision, outcome: "Superseded" });
    await eventually(async () => (await agents.deployments("bot")).length === 2, 30_000);
  });

  it("rolls a rotated Secret out through the canary, replacing the in-flight revision", async () => {
    const before = await status("bot");
    await agents.applySecret("openai", { "api-key": "sk-test-rotated" });
    await eventually(async () => {
      const current = await status("bot");
      return (
        current?.updateRevision !== before?.updateRevision &&
        current?.phase === "Paused" &&
        current.canary?.currentStepIndex === 3
      );
    }, 60_000);
    const after = await status("bot");
    expect(after?.stableRevision).toBe(before?.stableRevision);
    expect(after?.history?.[1]).toMatchObject({ revision: before?.updateRevision, outcome: "Superseded" });
    // The new revision's pods read the key by reference: the rotation is all it changed.
    await eventually(
      async () =>
        (await agents.deployments("bot")).filter((deployment) => deployment.spec.replicas > 0).length === 2,
      30_000,
    );
  });

  it("aborts a canary whose pods never become ready at the progress deadline, back to stable", async () => {
    await agents.annotate("bot", "promote-full");
    await agents.waitReady("bot");
    const stable = (await status("bot"))?.stableRevision ?? "";
    await agents.applyAgent("bot", {
      ...spec("gpt-4o", { progressDeadlineSeconds: 3, progressDeadlineAbort: true }),
      replicas: 8,
      // No node carries this label: the canary's pods stay Pending.
      nodeSelector: { "agentry.dev/test-no-such-node": "true" },
    });
    await eventually(async () => (await status("bot"))?.aborted === true, 90_000);
    const aborted = await status("bot");
    expect(aborted?.phase).toBe("Degraded");
    expect(aborted?.abortMessage).toContain("progress deadline exceeded");
    expect(await agents.serviceSelector("bot")).toEqual({
      "agentry.dev/agent": "bot",
      "agentry.dev/revision": stable,
    });
    await eventually(
      async () => (await replicasByRevision("bot"))[aborted?.updateRevision ?? ""] === 0,
      30_000,
    );
  });
});
