import { afterAll, expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { type OperatorProcess, startOperator } from "../support/operator-process.ts";
import { type AgentObject, agentManifest } from "./agent-manifests.ts";

describeWithCluster("operator: two replicas, one leader", (cluster) => {
  const ns = useTestNamespace(cluster);
  const operators: OperatorProcess[] = [];
  const leaders = async () => {
    const flags = await Promise.all(
      operators.map(async (operator) => ((await operator.isLeader()) ? operator.identity : [])),
    );
    return flags.flat();
  };
  const ready = (name: string) =>
    cluster.kubectl(["wait", `agd/${name}`, "-n", ns.name, "--for=condition=Ready", "--timeout=60s"]);

  afterAll(async () => {
    await Promise.all(operators.map((operator) => operator.stop("SIGKILL")));
  });

  it("elects exactly one leader, and only the leader reconciles", async () => {
    const env = { AGENTRY_LEADER_ELECTION: "true" };
    for (const identity of ["replica-a", "replica-b"]) {
      operators.push(
        await startOperator({ kubeconfig: cluster.kubeconfig, namespace: ns.name, identity, env }),
      );
    }
    await eventually(async () => (await leaders()).length === 1, 30_000);
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      agentManifest("first", { agent: { model: "m" } }),
    );
    await ready("first");
    const [leader] = await leaders();
    const standby = operators.find((operator) => operator.identity !== leader);
    expect(await standby?.sum("agentry_reconcile_total")).toBe(0);
    const lease = await cluster.kubectlJson<{ spec: { holderIdentity: string } }>([
      "get",
      "lease",
      "agentry-operator",
      "-n",
      ns.name,
    ]);
    expect(lease.spec.holderIdentity).toBe(leader);
  });

  it("fails over to the standby when the leader dies without a word", async () => {
    const [leader] = await leaders();
    const dead = operators.find((operator) => operator.identity === leader);
    await dead?.stop("SIGKILL");
    operators.splice(operators.indexOf(dead as OperatorProcess), 1);
    const started = Date.now();
    await eventually(async () => (await leaders()).length === 1, 40_000, 500);
    const failoverSeconds = (Date.now() - started) / 1000;
    expect(failoverSeconds).toBeLessThan(30);
    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      agentManifest("second", { agent: { model: "m" } }),
    );
    await ready("second");
    const agent = await cluster.kubectlJson<AgentObject>(["get", "agd", "second", "-n", ns.name]);
    expect(agent.status?.phase).toBe("Healthy");
  });

  it("hands over at once when the leader shuts down cleanly", async () => {
    operators.push(
      await startOperator({
        kubeconfig: cluster.kubeconfig,
        namespace: ns.name,
        identity: "replica-c",
        env: { AGENTRY_LEADER_ELECTION: "true" },
      }),
    );
    const [leader] = await leaders();
    const outgoing = operators.find((operator) => operator.identity === leader);
    expect(await outgoing?.stop("SIGTERM")).toBe(0);
    operators.splice(operators.indexOf(outgoing as OperatorProcess), 1);
    const started = Date.now();
    await eventually(async () => (await leaders()).length === 1, 20_000, 250);
    // The released Lease is taken on the standby's next try, not after the 15 s lease duration.
    expect((Date.now() - started) / 1000).toBeLessThan(8);
  });
});
