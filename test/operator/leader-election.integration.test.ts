import { afterAll, expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { leaseNameFor, type OperatorProcess, startOperator } from "../support/operator-process.ts";
import { agentCluster } from "./agent-cluster.ts";

describeWithCluster("operator: two replicas, one leader", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  const operators: OperatorProcess[] = [];
  const start = (identity: string) =>
    startOperator({
      kubeconfig: cluster.operator.kubeconfig,
      leaseNamespace: cluster.operator.namespace,
      namespace: ns.name,
      identity,
      env: { AGENTRY_LEADER_ELECTION: "true" },
    });
  const leaders = async () => {
    const flags = await Promise.all(
      operators.map(async (operator) => ((await operator.isLeader()) ? operator.identity : [])),
    );
    return flags.flat();
  };

  afterAll(async () => {
    await Promise.all(operators.map((operator) => operator.stop("SIGKILL")));
  });

  it("elects exactly one leader, and only the leader reconciles", async () => {
    for (const identity of ["replica-a", "replica-b"]) operators.push(await start(identity));
    await eventually(async () => (await leaders()).length === 1, 30_000);
    await agents.applyAgent("first", { agent: { model: "m" } });
    await agents.waitReady("first", "60s");
    const [leader] = await leaders();
    const standby = operators.find((operator) => operator.identity !== leader);
    expect(await standby?.sum("agentry_reconcile_total")).toBe(0);
    const lease = await cluster.kubectlJson<{ spec: { holderIdentity: string } }>([
      "get",
      "lease",
      leaseNameFor(ns.name),
      "-n",
      cluster.operator.namespace,
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
    await agents.applyAgent("second", { agent: { model: "m" } });
    await agents.waitReady("second", "60s");
    expect((await agents.agent("second")).status?.phase).toBe("Healthy");
  });

  it("hands over at once when the leader shuts down cleanly", async () => {
    operators.push(await start("replica-c"));
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
