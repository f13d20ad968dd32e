// What the operator's integration tests do over and over: run an operator for the test file's
// namespace, apply agents and Secrets, read agents and their Deployments back.
import { afterAll, beforeAll } from "vitest";
import type { TestCluster, TestNamespace } from "../support/cluster.ts";
import { type OperatorProcess, startOperator } from "../support/operator-process.ts";
import { type AgentObject, agentManifest, type DeploymentObject, secretManifest } from "./agent-manifests.ts";

/**
 * Starts an operator for the namespace in beforeAll and stops it in afterAll. It runs as the Helm
 * chart's ServiceAccount, so it can do only what the chart's ClusterRole allows.
 */
export function useOperator(
  cluster: TestCluster,
  ns: TestNamespace,
  identity: string,
  env: Record<string, string> = {},
) {
  let current: OperatorProcess | undefined;
  const start = async () => {
    current = await startOperator({
      kubeconfig: cluster.operator.kubeconfig,
      leaseNamespace: cluster.operator.namespace,
      namespace: ns.name,
      identity,
      env: { AGENTRY_LEADER_ELECTION: "false", ...env },
    });
    return current;
  };
  beforeAll(start);
  afterAll(async () => {
    await current?.stop();
  });
  return {
    get process(): OperatorProcess {
      if (!current) throw new Error("the operator runs only inside tests and hooks");
      return current;
    },
    /** Starts a fresh operator process (after the test stopped the previous one). */
    restart: start,
  };
}

export function agentCluster(cluster: TestCluster, ns: TestNamespace) {
  const apply = (manifest: string) => cluster.kubectl(["apply", "-n", ns.name, "-f", "-"], manifest);
  const agent = (name: string) => cluster.kubectlJson<AgentObject>(["get", "agd", name, "-n", ns.name]);
  return {
    applyAgent: (name: string, spec: Record<string, unknown>) => apply(agentManifest(name, spec)),
    applySecret: (name: string, data: Record<string, string>) => apply(secretManifest(name, data)),
    /** Any other object of the test's namespace (an HTTPRoute, a Role), as kubectl apply does. */
    applyObject: (object: Record<string, unknown>) => apply(JSON.stringify(object)),
    agent,
    condition: async (name: string, type: string) =>
      (await agent(name)).status?.conditions?.find((candidate) => candidate.type === type),
    deployments: async (name: string) =>
      (
        await cluster.kubectlJson<{ items: DeploymentObject[] }>([
          "get",
          "deployments",
          "-n",
          ns.name,
          "-l",
          `agentry.dev/agent=${name}`,
        ])
      ).items,
    /** Writes spec.replicas through the scale subresource, as the HorizontalPodAutoscaler does. */
    scaleTo: (name: string, replicas: number) =>
      cluster.kubectl([
        "patch",
        "agd",
        name,
        "-n",
        ns.name,
        "--subresource=scale",
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { replicas } }),
      ]),
    /** Sets an agentry.dev/* action annotation, as a user with plain kubectl does. */
    annotate: (name: string, action: string) =>
      cluster.kubectl(["annotate", "agd", name, "-n", ns.name, "--overwrite", `agentry.dev/${action}=true`]),
    /** Events recorded on the AgentDeployment, oldest first. */
    events: async (name: string, reason?: string) =>
      (
        await cluster.kubectlJson<{ items: Array<{ type: string; reason: string; message: string }> }>([
          "get",
          "events",
          "-n",
          ns.name,
          "--sort-by=.metadata.creationTimestamp",
          "--field-selector",
          `involvedObject.kind=AgentDeployment,involvedObject.name=${name}${reason ? `,reason=${reason}` : ""}`,
        ])
      ).items,
    serviceSelector: async (service: string) =>
      (
        await cluster.kubectlJson<{ spec: { selector: Record<string, string> } }>([
          "get",
          "service",
          service,
          "-n",
          ns.name,
        ])
      ).spec.selector,
    waitReady: (name: string, timeout = "90s") =>
      cluster.kubectl([
        "wait",
        `agd/${name}`,
        "-n",
        ns.name,
        "--for=condition=Ready",
        `--timeout=${timeout}`,
      ]),
  };
}
