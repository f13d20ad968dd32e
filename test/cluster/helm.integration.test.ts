import { expect, it } from "vitest";
import { describeWithCluster, useTestNamespace } from "../support/cluster.ts";

describeWithCluster("helm on the test control plane", (cluster) => {
  const ns = useTestNamespace(cluster);

  it("is the pinned build and reaches the API server with the plane's kubeconfig", async () => {
    expect(JSON.parse(await cluster.helm(["list", "-n", ns.name, "-o", "json"]))).toEqual([]);
    expect(await cluster.helm(["version", "--short"])).toMatch(/^v3\.22\./);
  });
});
