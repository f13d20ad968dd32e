import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { deploymentManifest } from "../support/cluster-fixtures.ts";

interface Deployment {
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
  };
}
interface PodList {
  items: { spec: { nodeName?: string }; status: { phase: string; podIP?: string } }[];
}

describeWithCluster("a Deployment on the test control plane", (cluster) => {
  const ns = useTestNamespace(cluster);

  it("becomes 3/3 ready: the scheduler places the pods on kwok nodes and kwok runs them", async () => {
    await cluster.kubectl(["apply", "-n", ns.name, "-f", "-"], deploymentManifest("web", { replicas: 3 }));
    await cluster.kubectl(["rollout", "status", "deployment/web", "-n", ns.name, "--timeout=60s"]);

    const status = (await cluster.kubectlJson<Deployment>(["get", "deployment", "web", "-n", ns.name]))
      .status;
    expect(status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3 });
    const pods = await cluster.kubectlJson<PodList>(["get", "pods", "-n", ns.name, "-l", "app=web"]);
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.spec.nodeName).toMatch(/^kwok-node-\d$/);
      expect(pod.status.phase).toBe("Running");
      expect(pod.status.podIP).toBeTruthy();
    }
  });

  it("scales through the Deployment and ReplicaSet controllers", async () => {
    await cluster.kubectl(["scale", "deployment/web", "-n", ns.name, "--replicas=5"]);
    await eventually(async () => {
      const d = await cluster.kubectlJson<Deployment>(["get", "deployment", "web", "-n", ns.name]);
      return d.status?.readyReplicas === 5;
    });
  });
});
