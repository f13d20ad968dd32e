import { expect, it } from "vitest";
import { describeWithCluster, eventually, useTestNamespace } from "../support/cluster.ts";
import { deploymentManifest } from "../support/cluster-fixtures.ts";

interface Named {
  metadata: { name: string; uid: string };
}

describeWithCluster("garbage collection on the test control plane", (cluster) => {
  const ns = useTestNamespace(cluster);

  it("deletes a dependent when its owner is deleted", async () => {
    await cluster.kubectl(["create", "configmap", "owner", "-n", ns.name, "--from-literal=a=b"]);
    const owner = await cluster.kubectlJson<Named>(["get", "configmap", "owner", "-n", ns.name]);
    const dependent = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "dependent",
        ownerReferences: [
          { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid, controller: true },
        ],
      },
      stringData: { key: "value" },
    };
    await cluster.kubectl(["apply", "-n", ns.name, "-f", "-"], JSON.stringify(dependent));
    await cluster.kubectl(["delete", "configmap", "owner", "-n", ns.name]);

    await eventually(async () => {
      const out = await cluster.kubectl(["get", "secrets", "-n", ns.name, "-o", "name"]);
      return !out.includes("secret/dependent");
    });
  });

  it("deletes a Deployment's ReplicaSets and pods after the Deployment", async () => {
    await cluster.kubectl(["apply", "-n", ns.name, "-f", "-"], deploymentManifest("gc", { replicas: 2 }));
    await cluster.kubectl(["rollout", "status", "deployment/gc", "-n", ns.name, "--timeout=60s"]);
    const before = await cluster.kubectl([
      "get",
      "replicasets,pods",
      "-n",
      ns.name,
      "-l",
      "app=gc",
      "-o",
      "name",
    ]);
    expect(before.trim().split("\n")).toHaveLength(3);

    await cluster.kubectl(["delete", "deployment", "gc", "-n", ns.name, "--cascade=background"]);
    await eventually(async () => {
      const out = await cluster.kubectl([
        "get",
        "replicasets,pods",
        "-n",
        ns.name,
        "-l",
        "app=gc",
        "-o",
        "name",
      ]);
      return out.trim() === "";
    }, 60_000);
  });
});
