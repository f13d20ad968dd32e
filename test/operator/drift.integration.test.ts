import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";
import { redisMemory } from "./agent-manifests.ts";

interface EventObject {
  type: string;
  reason: string;
  message: string;
}

describeWithCluster("operator: drift of owned objects", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  const operator = useOperator(cluster, ns, "drift");
  const kubectl = (args: string[]) => cluster.kubectl([...args, "-n", ns.name]);
  const json = <T>(args: string[]) => cluster.kubectlJson<T>([...args, "-n", ns.name]);
  const events = async (agent: string, reason: string) =>
    (
      await json<{ items: EventObject[] }>([
        "get",
        "events",
        "--field-selector",
        `involvedObject.kind=AgentDeployment,involvedObject.name=${agent},reason=${reason}`,
      ])
    ).items;
  /** Waits for a DriftRepaired Event on `agent` whose message contains every one of `parts`. */
  const repairedEvent = (agent: string, ...parts: string[]) =>
    eventually(
      async () =>
        (await events(agent, "DriftRepaired")).some((event) =>
          parts.every((part) => event.message.includes(part)),
        ),
      30_000,
      500,
    );
  const serviceOf = (name: string) =>
    json<{
      metadata: { labels: Record<string, string> };
      spec: { selector: Record<string, string>; ports: Array<{ port: number }> };
    }>(["get", "service", name]);
  const spec = (extra: Record<string, unknown> = {}) => ({
    replicas: 2,
    agent: { model: "m", memory: redisMemory },
    ...extra,
  });
  const ready = async (...names: string[]) => {
    for (const name of names) await agents.applyAgent(name, spec());
    for (const name of names) await agents.waitReady(name);
  };

  it("starts the agents these tests fight over", async () => {
    await agents.applySecret("redis", { url: "redis://redis:6379" });
    await agents.applyAgent(
      "bot",
      spec({
        auth: { mode: "apiKey" },
        autoscaling: { minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 70 },
      }),
    );
    await ready("selector", "relabel", "port", "fight");
    await agents.waitReady("bot");
  }, 120_000);

  it("points a Service patched to select other pods back at the agent", async () => {
    await kubectl([
      "patch",
      "service",
      "selector",
      "--type=merge",
      "-p",
      '{"spec":{"selector":{"agentry.dev/agent":"other"}}}',
    ]);
    await eventually(
      async () => (await serviceOf("selector")).spec.selector["agentry.dev/agent"] === "selector",
      30_000,
    );
    expect((await serviceOf("selector")).spec.selector).toEqual({ "agentry.dev/agent": "selector" });
    await repairedEvent("selector", "Service selector", "spec.selector");
  });

  it("puts back labels someone removed, even the one the operator watches by", async () => {
    await kubectl(["label", "service", "relabel", "app.kubernetes.io/name-"]);
    await eventually(
      async () => "app.kubernetes.io/name" in (await serviceOf("relabel")).metadata.labels,
      30_000,
    );
    await repairedEvent("relabel", "Service relabel", "metadata.labels.app.kubernetes.io/name");

    await kubectl(["label", "service", "relabel", "app.kubernetes.io/managed-by-"]);
    await eventually(
      async () => (await serviceOf("relabel")).metadata.labels["app.kubernetes.io/managed-by"] === "agentry",
      30_000,
    );
    await repairedEvent("relabel", "Service relabel was deleted or lost its agentry labels");

    // Without its agent label the Service is found through its controller ownerReference.
    await kubectl(["label", "service", "relabel", "agentry.dev/agent-"]);
    await eventually(
      async () => (await serviceOf("relabel")).metadata.labels["agentry.dev/agent"] === "relabel",
      30_000,
    );
  });

  it("puts back a Service port someone changed", async () => {
    await kubectl([
      "patch",
      "service",
      "port",
      "--type=json",
      "-p",
      '[{"op":"replace","path":"/spec/ports/0/port","value":8081}]',
    ]);
    await eventually(async () => {
      const ports = (await serviceOf("port")).spec.ports.map((entry) => entry.port);
      return ports.length === 1 && ports[0] === 80;
    }, 30_000);
    await repairedEvent("port", "Service port", "spec.ports[port=80]");
  });

  it("rolls back an image set by hand on the agent's Deployment", async () => {
    const revision = (await agents.agent("bot")).status?.updateRevision;
    await kubectl(["set", "image", `deployment/bot-${revision}`, "agent=evil:1"]);
    const image = async () => {
      const [deployment] = await agents.deployments("bot");
      return (deployment?.spec.template.spec.containers[0] as { image?: string } | undefined)?.image;
    };
    await eventually(async () => (await image()) === "ghcr.io/agentry/agent-runtime:test", 30_000);
    await repairedEvent(
      "bot",
      `Deployment bot-${revision}`,
      "spec.template.spec.containers[name=agent].image",
    );
  });

  it("restores an edited HorizontalPodAutoscaler and recreates a deleted PodDisruptionBudget", async () => {
    await kubectl(["patch", "hpa", "bot", "--type=merge", "-p", '{"spec":{"maxReplicas":9}}']);
    await eventually(
      async () =>
        (await json<{ spec: { maxReplicas: number } }>(["get", "hpa", "bot"])).spec.maxReplicas === 4,
      30_000,
    );
    await repairedEvent("bot", "HorizontalPodAutoscaler bot", "spec.maxReplicas");

    await kubectl(["delete", "pdb", "bot", "--wait=true"]);
    await eventually(
      async () => (await kubectl(["get", "pdb", "-o", "name"])).includes("poddisruptionbudget.policy/bot"),
      30_000,
    );
    await repairedEvent("bot", "PodDisruptionBudget bot");
  });

  it("gives a deleted auth Secret a new key and rolls the agent out with it", async () => {
    const keyOf = async () =>
      (await json<{ data: Record<string, string> }>(["get", "secret", "bot-auth"])).data["api-keys"];
    const before = { key: await keyOf(), revision: (await agents.agent("bot")).status?.updateRevision };
    await kubectl(["delete", "secret", "bot-auth", "--wait=true"]);
    await eventually(async () => {
      const status = (await agents.agent("bot")).status;
      return status?.phase === "Healthy" && status.updateRevision !== before.revision;
    }, 90_000);
    const key = await keyOf();
    expect(key).toBeTruthy();
    expect(key).not.toBe(before.key);
    await repairedEvent("bot", "Secret bot-auth was deleted");
    const revision = (await agents.agent("bot")).status?.updateRevision;
    expect((await agents.deployments("bot")).map((deployment) => deployment.metadata.name)).toEqual([
      `bot-${revision}`,
    ]);
  }, 120_000);

  it("stops fighting over a field another writer keeps changing, and says so once", async () => {
    const serviceApplies = () =>
      operator.process.sum(
        "agentry_kube_requests_total",
        (labels) => labels.verb === "apply" && labels.resource === "services",
      );
    const before = await serviceApplies();
    for (let round = 0; round < 12; round++) {
      await kubectl([
        "patch",
        "service",
        "fight",
        "--type=merge",
        "-p",
        '{"spec":{"selector":{"agentry.dev/agent":"elsewhere"}}}',
      ]);
      await new Promise((resolve) => setTimeout(resolve, 750));
    }
    await eventually(async () => (await agents.condition("fight", "DriftFight"))?.status === "True", 30_000);
    // Three repairs, then a pause that outlasts this loop.
    expect((await serviceApplies()) - before).toBe(3);
    const condition = await agents.condition("fight", "DriftFight");
    expect(condition?.message).toContain("Service/fight (spec.selector)");
    expect(condition?.message).toContain("kubectl-patch");
    const warnings = await events("fight", "DriftFight");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.type).toBe("Warning");
    expect((await agents.agent("fight")).status?.phase).toBe("Healthy");
  }, 60_000);

  it("keeps a serving agent serving (Degraded, Available) when its next revision cannot start, and announces nothing that did not happen", async () => {
    const running = (await agents.agent("port")).status?.updateRevision;
    // The next revision's prompt is in a ConfigMap that does not exist yet.
    const missingPrompt = { configMapKeyRef: { name: "port-prompt", key: "prompt.md" } };
    await agents.applyAgent(
      "port",
      spec({ agent: { model: "m2", memory: redisMemory, systemPromptFrom: missingPrompt } }),
    );
    await eventually(
      async () => (await agents.condition("port", "Stalled"))?.reason === "MissingReference",
      30_000,
    );
    const status = (await agents.agent("port")).status;
    expect(status?.phase).toBe("Degraded");
    expect(status?.updateRevision).toBe(running);
    expect(status?.message).toContain(`revision ${running} keeps serving`);
    expect(await agents.condition("port", "Available")).toMatchObject({ status: "True" });
    expect(await agents.condition("port", "Progressing")).toMatchObject({
      status: "False",
      reason: "MissingReference",
    });
    expect((await events("port", "RolloutStarted")).map((event) => event.message)).toEqual([
      expect.stringContaining(`created revision ${running}`),
    ]);

    await agents.applyAgent("port", spec({ agent: { model: "m2", memory: redisMemory } }));
    await eventually(async () => (await events("port", "RolloutStarted")).length === 2, 30_000);
    const started = (await events("port", "RolloutStarted")).map((event) => event.message);
    expect(started).toContainEqual(expect.stringContaining(`replacing ${running}`));
    await agents.waitReady("port");
  }, 90_000);

  it("starts against running agents, and creates new ones, without status conflicts or warnings", async () => {
    await operator.process.stop();
    const restarted = await operator.restart();
    // Every agent is reconciled at least once (queued by the first list and by the start-up resync).
    await eventually(async () => (await restarted.sum("agentry_reconcile_total")) >= 5, 30_000);
    // New agents: each child's watch event queues the agent again while its status is being written.
    const fresh = ["fresh-a", "fresh-b", "fresh-c"];
    for (const name of fresh) await agents.applyAgent(name, spec());
    for (const name of fresh) await agents.waitReady(name);
    const conflicts = await restarted.sum("agentry_kube_requests_total", (labels) => labels.code === "409");
    expect(conflicts).toBe(0);
    const warnings = restarted.logs.filter((line) => line.includes('"level":40'));
    expect(warnings).toEqual([]);
  }, 90_000);
});
