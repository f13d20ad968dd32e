import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { deploymentManifest } from "../support/cluster-fixtures.ts";

interface Deployment {
  status?: {
    readyReplicas?: number;
    replicas?: number;
    conditions?: { type: string; status: string; reason?: string }[];
  };
}
interface PodList {
  items: {
    metadata: { name: string; labels: Record<string, string> };
    status: { phase: string; conditions?: { type: string; status: string }[] };
  }[];
}

const ready = (pod: PodList["items"][number]) =>
  pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

describeWithCluster("making pods fail readiness", (cluster) => {
  const ns = useTestNamespace(cluster);
  const readyReplicas = async (name: string) =>
    (await cluster.kubectlJson<Deployment>(["get", "deployment", name, "-n", ns.name])).status
      ?.readyReplicas ?? 0;

  it("turns a Deployment's Running pods unready, keeps new ones unready, and restores them", async () => {
    await cluster.kubectl(["apply", "-n", ns.name, "-f", "-"], deploymentManifest("probe", { replicas: 2 }));
    await cluster.kubectl(["rollout", "status", "deployment/probe", "-n", ns.name, "--timeout=60s"]);

    const failure = await cluster.failReadiness({ namespace: ns.name, deployment: "probe" });
    await eventually(async () => (await readyReplicas("probe")) === 0);
    const pods = await cluster.kubectlJson<PodList>(["get", "pods", "-n", ns.name, "-l", "app=probe"]);
    expect(pods.items.map((p) => [p.status.phase, ready(p)])).toEqual([
      ["Running", false],
      ["Running", false],
    ]);

    // A pod created while the failure is on starts unready too.
    await cluster.kubectl(["scale", "deployment/probe", "-n", ns.name, "--replicas=3"]);
    await eventually(async () => {
      const list = await cluster.kubectlJson<PodList>(["get", "pods", "-n", ns.name, "-l", "app=probe"]);
      return list.items.length === 3 && list.items.every((p) => p.status.phase === "Running");
    });
    expect(await readyReplicas("probe")).toBe(0);

    await failure.restore();
    await eventually(async () => (await readyReplicas("probe")) === 3);
  });

  it("fails a rollout whose new pods never become ready, leaving the old ones serving", async () => {
    const manifest = (revision: string) =>
      deploymentManifest("rollout", {
        replicas: 2,
        labels: { app: "rollout" },
        podLabels: { revision },
        image: `registry.invalid/agentry/fake:${revision}`,
        progressDeadlineSeconds: 5,
      });
    await cluster.kubectl(["apply", "-n", ns.name, "-f", "-"], manifest("v1"));
    await cluster.kubectl(["rollout", "status", "deployment/rollout", "-n", ns.name, "--timeout=60s"]);

    // Only the new revision's pods fail, as a broken release's would.
    await cluster.failReadiness({
      namespace: ns.name,
      selector: { matchLabels: { app: "rollout", revision: "v2" } },
    });
    await cluster.kubectl(["apply", "-n", ns.name, "-f", "-"], manifest("v2"));

    await eventually(async () => {
      const d = await cluster.kubectlJson<Deployment>(["get", "deployment", "rollout", "-n", ns.name]);
      const progressing = d.status?.conditions?.find((c) => c.type === "Progressing");
      return progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded";
    }, 60_000);
    const pods = await cluster.kubectlJson<PodList>(["get", "pods", "-n", ns.name, "-l", "app=rollout"]);
    const byRevision = (revision: string) =>
      pods.items.filter((p) => p.metadata.labels.revision === revision);
    expect(byRevision("v1").map(ready)).toEqual([true, true]);
    expect(byRevision("v2").map(ready)).toEqual([false]);
  });
});
