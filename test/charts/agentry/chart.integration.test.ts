import { expect, it } from "vitest";
import { describeWithCluster } from "../../support/cluster.ts";
import { CHART_DIR } from "../../support/operator-identity.ts";
import { parseRendered, type RenderedObject, renderChart, renderError } from "./chart-render.ts";

const EVERYTHING_ON = [
  "serviceMonitor.enabled=true",
  "prometheusRule.enabled=true",
  "grafanaDashboard.enabled=true",
];

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const byKind = (objects: RenderedObject[], kind: string) => objects.filter((object) => object.kind === kind);

describeWithCluster("charts/agentry", (cluster) => {
  it("passes helm lint --strict, cluster-wide and namespaced-only", async () => {
    for (const values of [EVERYTHING_ON, ["rbac.namespaced=true", "watchNamespaces={team-a}"]]) {
      const out = await cluster.helm(["lint", "--strict", CHART_DIR, ...values.flatMap((v) => ["--set", v])]);
      expect(out).toContain("1 chart(s) linted, 0 chart(s) failed");
    }
  });

  it("renders as the snapshot, with every optional object on", async () => {
    await expect(await renderChart(cluster, EVERYTHING_ON)).toMatchFileSnapshot(
      "__snapshots__/cluster-wide.yaml",
    );
  });

  it("renders the namespaced-only mode as the snapshot: Roles, no cluster-scoped object", async () => {
    const text = await renderChart(cluster, ["rbac.namespaced=true", "replicaCount=1"], {
      name: "team-agents",
      namespace: "team-a",
    });
    await expect(text).toMatchFileSnapshot("__snapshots__/namespaced.yaml");
    const objects = parseRendered(text);
    expect(byKind(objects, "ClusterRole")).toEqual([]);
    expect(byKind(objects, "ClusterRoleBinding")).toEqual([]);
    expect(byKind(objects, "Role").map((role) => role.metadata.namespace)).toEqual(["team-a", "team-a"]);
    const env = deploymentEnv(objects);
    expect(env.AGENTRY_WATCH_NAMESPACES).toBe("team-a");
  });

  it("grants exact verbs per resource: no wildcard, Secrets never updated or deleted", async () => {
    const objects = parseRendered(await renderChart(cluster));
    const [role] = byKind(objects, "ClusterRole");
    const rules = (role?.rules ?? []) as Rule[];
    for (const rule of rules) {
      for (const field of [rule.apiGroups, rule.resources, rule.verbs]) expect(field).not.toContain("*");
    }
    const verbsOf = (resource: string) => rules.find((rule) => rule.resources.includes(resource))?.verbs;
    expect(verbsOf("secrets")).toEqual(["get", "list", "watch", "create"]);
    expect(verbsOf("configmaps")).toEqual(["list", "watch"]);
    expect(verbsOf("events")).toEqual(["create"]);
    expect(verbsOf("agentdeployments/status")).toEqual(["patch"]);
    expect(verbsOf("leases")).toBeUndefined();
    const [leaseRole] = byKind(objects, "Role");
    expect(leaseRole?.metadata.namespace).toBe("agentry-system");
    expect(leaseRole?.rules).toEqual([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
    ]);
  });

  it("runs the operator restricted: non-root, read-only root filesystem, no privilege escalation", async () => {
    const objects = parseRendered(await renderChart(cluster));
    const pod = podSpecOf(objects);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    const [container] = pod.containers;
    expect(container?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.topologySpreadConstraints?.map((constraint) => constraint.labelSelector)).toHaveLength(2);
    expect((byKind(objects, "Deployment")[0]?.spec as { replicas?: number } | undefined)?.replicas).toBe(2);
  });

  it("passes the Prometheus settings as the operator's environment, with the token and CA as files", async () => {
    const objects = parseRendered(
      await renderChart(cluster, [
        "prometheus.address=https://prometheus.monitoring.svc:9090",
        "prometheus.bearerTokenSecret.name=prometheus-reader",
        "prometheus.caConfigMap.name=prometheus-ca",
      ]),
    );
    expect(deploymentEnv(objects)).toMatchObject({
      AGENTRY_PROMETHEUS_ADDRESS: "https://prometheus.monitoring.svc:9090",
      AGENTRY_PROMETHEUS_BEARER_TOKEN_FILE: "/etc/agentry/prometheus-token/token",
      AGENTRY_PROMETHEUS_CA_FILE: "/etc/agentry/prometheus-ca/ca.crt",
    });
  });

  it("refuses values it cannot honour, saying which", async () => {
    expect(await renderError(cluster, ["replicaCount=two"])).toContain("/replicaCount");
    expect(await renderError(cluster, ["operator.logLevel=loud"])).toContain("/operator/logLevel");
    expect(await renderError(cluster, ["rbac.clusterWide=true"])).toContain("clusterWide");
    expect(await renderError(cluster, ["operator.runtimeImage=not a valid ref!!"])).toContain(
      "/operator/runtimeImage",
    );
    expect(await renderError(cluster, ["leaderElection.enabled=false"])).toContain(
      "replicaCount > 1 needs leaderElection.enabled",
    );
    expect(await renderError(cluster, ["prometheus.bearerTokenSecret.name=reader"])).toContain(
      "need prometheus.address",
    );
  });
});

interface PodSpec {
  securityContext: Record<string, unknown>;
  containers: Array<{ securityContext: unknown; env: Array<{ name: string; value?: string }> }>;
  topologySpreadConstraints?: Array<{ labelSelector: unknown }>;
}

function podSpecOf(objects: RenderedObject[]): PodSpec {
  const [deployment] = byKind(objects, "Deployment");
  if (!deployment) throw new Error("the chart rendered no Deployment");
  return (deployment.spec as { template: { spec: PodSpec } }).template.spec;
}

function deploymentEnv(objects: RenderedObject[]): Record<string, string | undefined> {
  const pod = podSpecOf(objects);
  return Object.fromEntries((pod.containers[0]?.env ?? []).map((entry) => [entry.name, entry.value]));
}
