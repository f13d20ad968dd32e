// `helm install --wait` (Helm 4, which waits with kstatus) of a user's chart holding an
// AgentDeployment: it returns once the operator reports the agent Ready. GitOps tools that wait
// with kstatus (Flux) read the same status.
//
// kstatus reads a custom resource with no status at all as Current; the CRD's default status
// (`observedGeneration: 0`, operator/api/crd.ts) makes a new agent read as not yet observed until
// the operator's first status write.
import path from "node:path";
import { expect, it } from "vitest";
import { agentCluster } from "../operator/agent-cluster.ts";
import { describeWithCluster, useTestNamespace } from "../support/cluster.ts";
import { REPO_ROOT } from "../support/cluster-env.ts";
import { run } from "../support/cluster-exec.ts";
import { type OperatorProcess, startOperator } from "../support/operator-process.ts";

const ONE_AGENT_CHART = path.join(REPO_ROOT, "test", "fixtures", "charts", "one-agent");

describeWithCluster("helm install --wait of a chart with an AgentDeployment (Helm 4)", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  const startAgentOperator = (identity: string): Promise<OperatorProcess> =>
    startOperator({
      kubeconfig: cluster.operator.kubeconfig,
      leaseNamespace: cluster.operator.namespace,
      namespace: ns.name,
      identity,
      env: { AGENTRY_LEADER_ELECTION: "false" },
    });
  const installWait = (release: string, timeout: string) => {
    const started = performance.now();
    return run(cluster.binaries.helm, [
      "--kubeconfig",
      cluster.kubeconfig,
      "install",
      release,
      ONE_AGENT_CHART,
      "--namespace",
      ns.name,
      "--wait",
      "--timeout",
      timeout,
    ]).then((result) => ({ ...result, seconds: (performance.now() - started) / 1000 }));
  };
  const ready = async (name: string) => (await agents.condition(name, "Ready"))?.status;

  it("returns only once the agent is Ready, however late the operator gets to it", async () => {
    // No operator yet: the agent cannot be Ready, so helm must still be waiting after 5 s.
    const install = installWait("late", "90s");
    let returned = false;
    void install.then(() => {
      returned = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(returned).toBe(false);
    const operator = await startAgentOperator("helm-wait-late");
    try {
      const result = await install;
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(await ready("late")).toBe("True");
    } finally {
      await operator.stop();
    }
  }, 120_000);

  it("fails at its timeout while no operator has looked at the agent", async () => {
    const result = await installWait("unwatched", "15s");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/timed out|context deadline exceeded/i);
    expect(result.seconds).toBeGreaterThanOrEqual(14);
    const status = await cluster.kubectlJson<{ status?: { observedGeneration?: number } }>([
      "get",
      "agd",
      "unwatched",
      "-n",
      ns.name,
    ]);
    expect(status.status).toEqual({ observedGeneration: 0 });
  }, 60_000);
});
