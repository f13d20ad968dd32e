import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { type OperatorProcess, startOperator } from "../support/operator-process.ts";
import type { AgentObject } from "./agent-manifests.ts";

const NAMESPACES = 50;

/**
 * Seven informers per watched namespace: 350 watches, each holding a connection for minutes. With
 * watches and requests on one connection pool of 64 sockets, lists and reconciles queued behind
 * the watches and agents got no status while /readyz said ok.
 */
describeWithCluster("operator: 50 watched namespaces", (cluster) => {
  const ns = useTestNamespace(cluster);
  const namespaces: string[] = [];
  let operator: OperatorProcess | undefined;
  /** One kubectl apply of a List with an object per namespace. */
  const applyEach = (object: (namespace: string) => unknown) =>
    cluster.kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: namespaces.map(object) }),
    );

  beforeAll(async () => {
    for (let i = 0; i < NAMESPACES; i++) namespaces.push(`${ns.name}-${i}`);
    await applyEach((name) => ({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { "agentry.dev/test": "true" } },
    }));
  });

  afterAll(async () => {
    await operator?.stop("SIGKILL");
    if (!cluster.keepNamespaces && namespaces.length > 0)
      await cluster.kubectl(["delete", "namespace", ...namespaces, "--wait=false", "--ignore-not-found"]);
  });

  it("gives an agent in every namespace its status, and says ready", async () => {
    operator = await startOperator({
      kubeconfig: cluster.operator.kubeconfig,
      leaseNamespace: cluster.operator.namespace,
      namespace: ns.name,
      identity: "many-namespaces",
      env: { AGENTRY_LEADER_ELECTION: "false", AGENTRY_WATCH_NAMESPACES: namespaces.join(",") },
    });
    await applyEach((namespace) => ({
      apiVersion: "agentry.dev/v1alpha1",
      kind: "AgentDeployment",
      metadata: { name: "agent", namespace },
      spec: { agent: { model: "m" } },
    }));
    const ready = async () => {
      const { items } = await cluster.kubectlJson<{
        items: Array<AgentObject & { metadata: { namespace: string } }>;
      }>(["get", "agd", "-A"]);
      const mine = items.filter((agent) => namespaces.includes(agent.metadata.namespace));
      return mine.filter((agent) =>
        agent.status?.conditions?.some(
          (condition) => condition.type === "Ready" && condition.status === "True",
        ),
      ).length;
    };
    await eventually(async () => (await ready()) === NAMESPACES, 180_000, 2000);
    expect(await operator.ready()).toBe(true);
    const watches = await operator.sum("agentry_kube_requests_total", (labels) => labels.verb === "watch");
    expect(watches).toBeGreaterThanOrEqual(NAMESPACES * 7);
  }, 300_000);
});
