import { afterAll, expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { readTokenKubeconfig, writeKubeconfigFile } from "../support/kubeconfig-file.ts";
import { leaseNameFor, type OperatorProcess, startOperator } from "../support/operator-process.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";

const LEASE_DURATION_MS = 15_000;

interface Lease {
  spec: { holderIdentity?: string; renewTime?: string; acquireTime?: string };
}

/** The operator reaches the API server through a loopback forwarder the test freezes. */
describeWithCluster("operator: an API server that stops answering", (cluster) => {
  const ns = useTestNamespace(cluster);
  const operators: OperatorProcess[] = [];
  const proxies: TcpProxy[] = [];
  const throughProxy = async () => {
    const operator = readTokenKubeconfig(cluster.operator.kubeconfig);
    const server = new URL(operator.server);
    const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
    proxies.push(proxy);
    const kubeconfig = writeKubeconfigFile({
      cluster: {
        server: `https://127.0.0.1:${proxy.port}`,
        "certificate-authority-data": operator.caData,
      },
      user: { token: operator.token },
    });
    return { proxy, kubeconfig };
  };
  const start = async (identity: string, kubeconfig: string, env: Record<string, string>) => {
    const operator = await startOperator({
      kubeconfig,
      namespace: ns.name,
      leaseNamespace: cluster.operator.namespace,
      identity,
      env,
    });
    operators.push(operator);
    return operator;
  };
  const lease = () =>
    cluster.kubectlJson<Lease>(["get", "lease", leaseNameFor(ns.name), "-n", cluster.operator.namespace]);
  const timeOfLog = (operator: OperatorProcess, text: string) => {
    const line = operator.logs.find((candidate) => candidate.includes(text));
    return line ? (JSON.parse(line) as { time: number }).time : undefined;
  };

  afterAll(async () => {
    await Promise.all(operators.map((operator) => operator.stop("SIGKILL")));
    await Promise.all(proxies.map((proxy) => proxy.close()));
  });

  it("a leader whose requests hang steps down before its Lease can be taken, and the standby takes over", async () => {
    const { proxy, kubeconfig } = await throughProxy();
    const env = { AGENTRY_LEADER_ELECTION: "true" };
    const leader = await start("frozen-a", kubeconfig, env);
    await eventually(() => leader.isLeader(), 30_000);
    const standby = await start("standby-b", cluster.operator.kubeconfig, env);
    await eventually(() => standby.ready(), 30_000);
    expect(await standby.isLeader()).toBe(false);

    proxy.freeze();
    const frozenAt = Date.now();
    expect(await leader.exited).toBe(1);
    const steppedDownAt = timeOfLog(leader, "lost the leader lease") ?? Number.NaN;
    const lastRenewal = Date.parse((await lease()).spec.renewTime ?? "");
    expect((await lease()).spec.holderIdentity).toBe("frozen-a");
    // Stepped down before anyone could see the Lease expire.
    expect(steppedDownAt).toBeLessThan(lastRenewal + LEASE_DURATION_MS);
    expect(steppedDownAt - frozenAt).toBeLessThan(LEASE_DURATION_MS);

    await eventually(() => standby.isLeader(), 40_000, 500);
    const taken = await lease();
    expect(taken.spec.holderIdentity).toBe("standby-b");
    expect(Date.parse(taken.spec.acquireTime ?? "")).toBeGreaterThan(steppedDownAt);
  }, 180_000);

  it("readiness turns false when the API server stops answering", async () => {
    const { proxy, kubeconfig } = await throughProxy();
    const operator = await start("frozen-readiness", kubeconfig, {
      AGENTRY_LEADER_ELECTION: "false",
      AGENTRY_KUBE_REQUEST_TIMEOUT_SECONDS: "2",
      AGENTRY_KUBE_WATCH_IDLE_SECONDS: "3",
    });
    await eventually(() => operator.ready(), 30_000);
    // Idle watches are reopened every few seconds; that alone must not flip readiness.
    await new Promise((resolve) => setTimeout(resolve, 7000));
    expect(await operator.ready()).toBe(true);
    proxy.freeze();
    await eventually(async () => !(await operator.ready()), 45_000, 500);
  }, 180_000);
});
