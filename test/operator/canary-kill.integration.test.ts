import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { startOperator } from "../support/operator-process.ts";
import { agentCluster } from "./agent-cluster.ts";
import { openaiKey } from "./agent-manifests.ts";

const KILLS = 20;

describeWithCluster("operator: SIGKILLed over and over during a canary", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  // setWeight 10, pause 1s, setWeight 20, pause 1s, ... setWeight 100: 20 steps.
  const steps = Array.from({ length: 10 }, (_, index) => [
    { setWeight: (index + 1) * 10 },
    { pause: { duration: "1s" } },
  ]).flat();
  const spec = (model: string) => ({
    replicas: 10,
    agent: { model, provider: openaiKey },
    strategy: { type: "Canary", canary: { steps } },
  });
  const start = () =>
    startOperator({
      kubeconfig: cluster.kubeconfig,
      namespace: ns.name,
      identity: "kill-loop",
      env: { AGENTRY_LEADER_ELECTION: "false" },
    });

  it(`resumes every step where it stopped, neither skipping nor repeating one, across ${KILLS} kills`, {
    timeout: 300_000,
  }, async () => {
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
    let operator = await start();
    await agents.applyAgent("bot", spec("gpt-4o-mini"));
    await agents.waitReady("bot");
    await operator.stop();
    const stable = (await agents.agent("bot")).status?.stableRevision;

    // Watch the status the whole time: every (step, stepStartedAt) the operator persisted.
    const seen: Array<{ index: number; startedAt: string; weight: number }> = [];
    const record = async () => {
      const status = (await agents.agent("bot")).status;
      const canary = status?.updateRevision === stable ? undefined : status?.canary;
      const last = seen.at(-1);
      if (canary?.currentStepIndex !== undefined && canary.currentStepIndex !== last?.index) {
        seen.push({
          index: canary.currentStepIndex,
          startedAt: canary.stepStartedAt ?? "",
          weight: canary.weight ?? 0,
        });
      }
    };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        await record();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    await agents.applyAgent("bot", spec("gpt-4o"));
    let kills = 0;
    const done = async () => (await agents.agent("bot")).status?.phase === "Healthy";
    while (kills < KILLS || !(await done())) {
      operator = await start();
      await new Promise((resolve) => setTimeout(resolve, 700 + Math.random() * 1300));
      if (kills >= KILLS) break;
      expect(await operator.stop("SIGKILL")).toBeNull();
      kills += 1;
    }
    await eventually(done, 120_000);
    watching = false;
    await watcher;
    await record();
    await operator.stop();

    expect(kills).toBeGreaterThanOrEqual(KILLS);
    const indices = seen.map((entry) => entry.index);
    // From the first step to the end, never back, never past a step that had not finished.
    expect(indices).toEqual([...indices].sort((a, b) => a - b));
    expect(indices.at(-1)).toBe(steps.length);
    // The settled status after the last step carries no step time: the promotion's time stands in.
    const promotedAt = (await agents.agent("bot")).status?.history?.[0]?.finishedAt ?? "";
    for (let position = 1; position < seen.length; position++) {
      const before = seen[position - 1];
      const after = seen[position];
      if (after && after.startedAt === "") after.startedAt = promotedAt;
      if (!before || !after || after.index !== before.index + 1) continue;
      const step = steps[before.index];
      // A pause never ends early, however often the operator restarted during it.
      if (step && "pause" in step)
        expect(Date.parse(after.startedAt) - Date.parse(before.startedAt)).toBeGreaterThanOrEqual(1000);
    }
    // Each step completed once: an Event may be lost to a kill, never sent twice.
    const completed = (await agents.events("bot", "CanaryStepCompleted")).map(
      (event) => event.message.split(" ")[1],
    );
    expect(new Set(completed).size).toBe(completed.length);
    const status = (await agents.agent("bot")).status;
    expect(status?.history?.slice(0, 2).map((entry) => entry.outcome)).toEqual(["Promoted", "Promoted"]);
    await eventually(async () => (await agents.deployments("bot")).length === 1, 30_000);
  });
});
