import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { agentCluster, useOperator } from "./agent-cluster.ts";
import { openaiKey } from "./agent-manifests.ts";

interface Route {
  spec: {
    hostnames?: string[];
    rules: Array<{ backendRefs: Array<{ name: string; weight?: number }>; filters?: unknown[] }>;
  };
}

describeWithCluster("operator: canary weights on a Gateway API HTTPRoute", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  useOperator(cluster, ns, "gateway-api");
  const steps = [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }, { pause: {} }];
  const spec = (model: string) => ({
    replicas: 5,
    agent: { model, provider: openaiKey },
    strategy: { type: "Canary", canary: { steps, trafficRouting: { gatewayAPI: { httpRoute: "bot" } } } },
  });
  const route = () => cluster.kubectlJson<Route>(["get", "httproute", "bot", "-n", ns.name]);
  /** Weights of bot-stable and bot-canary in the route's second rule, as a Gateway reads them. */
  const weights = async () => {
    const refs = (await route()).spec.rules[1]?.backendRefs ?? [];
    return {
      stable: refs.find((ref) => ref.name === "bot-stable")?.weight,
      canary: refs.find((ref) => ref.name === "bot-canary")?.weight,
    };
  };
  const status = async () => (await agents.agent("bot")).status;
  const atPause = (index: number) => async () => {
    const current = await status();
    return current?.phase === "Paused" && current.canary?.currentStepIndex === index;
  };

  it("writes each step's weight to the route's backendRefs and leaves the rest of the route alone", async () => {
    await agents.applySecret("openai", { "api-key": "sk-test-1" });
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      JSON.stringify({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "bot" },
        spec: {
          parentRefs: [{ name: "public" }],
          hostnames: ["bot.example.com"],
          rules: [
            {
              matches: [{ path: { type: "PathPrefix", value: "/docs" } }],
              backendRefs: [{ name: "docs", port: 80 }],
            },
            {
              backendRefs: [
                { name: "bot-stable", port: 80, weight: 100 },
                { name: "bot-canary", port: 80, weight: 0 },
              ],
            },
          ],
        },
      }),
    );
    await agents.applyAgent("bot", spec("gpt-4o-mini"));
    await agents.waitReady("bot");
    const stable = (await status())?.stableRevision ?? "";
    expect(await weights()).toEqual({ stable: 100, canary: 0 });

    await agents.applyAgent("bot", spec("gpt-4o"));
    await eventually(atPause(1), 60_000);
    const update = (await status())?.updateRevision ?? "";
    expect(await weights()).toEqual({ stable: 80, canary: 20 });
    expect((await agents.serviceSelector("bot-stable"))["agentry.dev/revision"]).toBe(stable);
    expect((await agents.serviceSelector("bot-canary"))["agentry.dev/revision"]).toBe(update);
    // Only the route leads to the canary: Service bot stays on the stable revision.
    expect((await agents.serviceSelector("bot"))["agentry.dev/revision"]).toBe(stable);
    const replicas = Object.fromEntries(
      (await agents.deployments("bot")).map((deployment) => [
        deployment.metadata.labels["agentry.dev/revision"],
        deployment.spec.replicas,
      ]),
    );
    expect(replicas).toEqual({ [stable]: 5, [update]: 1 });

    // Weights set by the rollout's own steps are no drift.
    expect(await agents.events("bot", "DriftRepaired")).toEqual([]);
    // Weights set by hand are the rollout's to decide: put back at once (the route is watched),
    // and the repair is reported by field.
    await cluster.kubectl([
      "patch",
      "httproute",
      "bot",
      "-n",
      ns.name,
      "--type=json",
      "-p",
      JSON.stringify([{ op: "replace", path: "/spec/rules/1/backendRefs/1/weight", value: 50 }]),
    ]);
    await eventually(async () => (await weights()).canary === 20, 10_000);
    expect(await weights()).toEqual({ stable: 80, canary: 20 });
    await eventually(async () => (await agents.events("bot", "DriftRepaired")).length > 0, 10_000);
    const repairs = await agents.events("bot", "DriftRepaired");
    expect(repairs.map((event) => event.message)).toEqual([
      "HTTPRoute bot differed from its declaration in spec.rules[1].backendRefs[1].weight; applied it again",
    ]);

    // Someone else edits the route: their change stays, and the weights go on being set.
    await cluster.kubectl([
      "patch",
      "httproute",
      "bot",
      "-n",
      ns.name,
      "--type=json",
      "-p",
      JSON.stringify([{ op: "add", path: "/spec/hostnames/-", value: "bot.example.org" }]),
    ]);
    await agents.annotate("bot", "promote");
    await eventually(atPause(3), 60_000);
    expect(await weights()).toEqual({ stable: 40, canary: 60 });
    expect(await agents.events("bot", "DriftRepaired")).toHaveLength(1);
    const edited = await route();
    expect(edited.spec.hostnames).toEqual(["bot.example.com", "bot.example.org"]);
    expect(edited.spec.rules[0]?.backendRefs).toEqual([expect.objectContaining({ name: "docs", weight: 1 })]);

    await agents.annotate("bot", "promote");
    await agents.waitReady("bot");
    expect(await status()).toMatchObject({ phase: "Healthy", stableRevision: update });
    expect(await weights()).toEqual({ stable: 100, canary: 0 });
    expect((await agents.serviceSelector("bot-stable"))["agentry.dev/revision"]).toBe(update);
  });

  it("sends all traffic back to stable within one reconcile on abort", async () => {
    await agents.applyAgent("bot", spec("gpt-4.1"));
    await eventually(atPause(1), 60_000);
    expect(await weights()).toEqual({ stable: 80, canary: 20 });
    await agents.annotate("bot", "abort");
    await eventually(async () => (await status())?.phase === "Degraded", 30_000);
    expect(await weights()).toEqual({ stable: 100, canary: 0 });
  });

  it("stalls with a clear reason when the route does not list both Services", async () => {
    await cluster.kubectl([
      "patch",
      "httproute",
      "bot",
      "-n",
      ns.name,
      "--type=json",
      "-p",
      JSON.stringify([{ op: "remove", path: "/spec/rules/1/backendRefs/1" }]),
    ]);
    await agents.applyAgent("bot", spec("gpt-4.1-mini"));
    await eventually(
      async () => (await agents.condition("bot", "Stalled"))?.reason === "TrafficRoutingInvalid",
      30_000,
    );
    expect((await agents.condition("bot", "Stalled"))?.message).toBe(
      "HTTPRoute bot has no rule whose backendRefs list both Service bot-stable and Service bot-canary",
    );
  });
});
