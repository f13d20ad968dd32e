import { afterAll, expect, it } from "vitest";
import { agentCluster } from "../../operator/agent-cluster.ts";
import { describeWithCluster, useTestNamespace } from "../../support/cluster.ts";
import { CHART_DIR, installOperatorChart, type OperatorIdentity } from "../../support/operator-identity.ts";
import { type OperatorProcess, startOperator } from "../../support/operator-process.ts";
import { parseRendered } from "./chart-render.ts";

interface DeploymentSpec {
  spec: {
    replicas: number;
    template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
  };
}

describeWithCluster("charts/agentry installed into the plane", (cluster) => {
  /** `kubectl auth can-i` as the chart's ServiceAccount: what its RBAC allows, asked of the API server. */
  const canI = async (identity: OperatorIdentity, args: string[]) => {
    const answer = await cluster
      .kubectl([
        "auth",
        "can-i",
        ...args,
        `--as=system:serviceaccount:${identity.namespace}:${identity.serviceAccount}`,
      ])
      .catch((error: { result?: { stdout: string } }) => error.result?.stdout ?? "");
    return answer.trim() === "yes";
  };

  it("the test run's cluster-wide release grants what the operator uses, and not more", async () => {
    const identity = cluster.operator;
    expect(await canI(identity, ["watch", "agentdeployments.agentry.dev", "--all-namespaces"])).toBe(true);
    expect(await canI(identity, ["patch", "deployments.apps", "-n", "default"])).toBe(true);
    expect(await canI(identity, ["create", "secrets", "-n", "default"])).toBe(true);
    expect(await canI(identity, ["update", "secrets", "-n", "default"])).toBe(false);
    expect(await canI(identity, ["delete", "secrets", "-n", "default"])).toBe(false);
    expect(await canI(identity, ["get", "pods", "-n", "default"])).toBe(false);
    expect(await canI(identity, ["delete", "agentdeployments.agentry.dev", "-n", "default"])).toBe(false);
    expect(await canI(identity, ["update", "leases.coordination.k8s.io", "-n", identity.namespace])).toBe(
      true,
    );
    expect(await canI(identity, ["update", "leases.coordination.k8s.io", "-n", "default"])).toBe(false);
  });

  describeNamespacedMode();

  function describeNamespacedMode() {
    const ns = useTestNamespace(cluster, "helm-namespaced");
    const agents = agentCluster(cluster, ns);
    const release = () => ({ name: "agentry", namespace: ns.name });
    let operator: OperatorProcess | undefined;
    let identity: OperatorIdentity | undefined;
    const helmDeployment = () =>
      cluster.kubectlJson<DeploymentSpec>(["get", "deployment", "agentry", "-n", ns.name]);

    afterAll(async () => {
      await operator?.stop("SIGKILL");
    });

    it("namespaced-only mode: a Role in one namespace runs the operator there, with no cluster-wide access", async () => {
      identity = await installOperatorChart(
        { kubectl: cluster.binaries.kubectl, helm: cluster.binaries.helm, kubeconfig: cluster.kubeconfig },
        release(),
        ["rbac.namespaced=true", "serviceMonitor.enabled=true"],
      );
      expect(await canI(identity, ["list", "agentdeployments.agentry.dev", "-n", ns.name])).toBe(true);
      expect(await canI(identity, ["list", "agentdeployments.agentry.dev", "--all-namespaces"])).toBe(false);
      expect(await canI(identity, ["list", "secrets", "-n", "default"])).toBe(false);
      const manifest = parseRendered(await cluster.helm(["get", "manifest", "agentry", "-n", ns.name]));
      expect(manifest.filter((object) => object.kind.startsWith("Cluster"))).toEqual([]);
      expect(manifest.every((object) => object.metadata.namespace === ns.name)).toBe(true);
      const env = Object.fromEntries(
        (await helmDeployment()).spec.template.spec.containers[0]?.env.map((entry) => [
          entry.name,
          entry.value,
        ]) ?? [],
      );
      expect(env.AGENTRY_WATCH_NAMESPACES).toBe(ns.name);

      operator = await startOperator({
        kubeconfig: identity.kubeconfig,
        namespace: ns.name,
        leaseNamespace: ns.name,
        identity: "namespaced",
        env: {
          AGENTRY_LEADER_ELECTION: "true",
          AGENTRY_WATCH_NAMESPACES: env.AGENTRY_WATCH_NAMESPACES ?? "",
        },
      });
      await agents.applyAgent("kept", { agent: { model: "m" }, auth: { mode: "apiKey" } });
      await agents.waitReady("kept", "60s");
      expect(await operator.sum("agentry_kube_requests_total", (labels) => labels.code === "403")).toBe(0);
    });

    it("helm upgrade with changed values changes the Deployment the chart runs", async () => {
      await cluster.helm([
        "upgrade",
        "agentry",
        CHART_DIR,
        "-n",
        ns.name,
        "--reuse-values",
        "--set",
        "replicaCount=1",
        "--set",
        "operator.logLevel=debug",
        "--set",
        "operator.workers=8",
      ]);
      const deployment = await helmDeployment();
      expect(deployment.spec.replicas).toBe(1);
      const env = Object.fromEntries(
        deployment.spec.template.spec.containers[0]?.env.map((entry) => [entry.name, entry.value]) ?? [],
      );
      expect(env).toMatchObject({
        AGENTRY_LOG_LEVEL: "debug",
        AGENTRY_WORKERS: "8",
        AGENTRY_WATCH_NAMESPACES: ns.name,
      });
      const history = JSON.parse(await cluster.helm(["history", "agentry", "-n", ns.name, "-o", "json"]));
      expect(history.map((entry: { status: string }) => entry.status)).toEqual(["superseded", "deployed"]);
    });

    it("helm uninstall removes the operator and keeps the CRD and the users' AgentDeployments", async () => {
      await operator?.stop();
      await cluster.helm(["uninstall", "agentry", "-n", ns.name, "--wait"]);
      expect(
        await cluster.kubectl([
          "get",
          "deployment,role,rolebinding,serviceaccount",
          "-n",
          ns.name,
          "-l",
          "app.kubernetes.io/instance=agentry",
          "-o",
          "name",
        ]),
      ).toBe("");
      await cluster.kubectl(["get", "crd", "agentdeployments.agentry.dev"]);
      const kept = await agents.agent("kept");
      expect(kept.status?.phase).toBe("Healthy");
      expect(await agents.deployments("kept")).toHaveLength(1);
      expect(
        (await cluster.kubectl(["get", "secret", "kept-auth", "-n", ns.name, "-o", "name"])).trim(),
      ).toBe("secret/kept-auth");
    });
  }
});
