import { afterAll, expect, it } from "vitest";
import { KubeApi } from "../../../operator/kube/kube-api.ts";
import { describeWithCluster, useTestNamespace } from "../../support/cluster.ts";

describeWithCluster("KubeApi lists against the API server", (cluster) => {
  const ns = useTestNamespace(cluster);
  const requests: string[] = [];
  const api = () =>
    KubeApi.fromFile(cluster.kubeconfig, { pageSize: 2, observe: (verb) => requests.push(verb) });
  let client: KubeApi | undefined;

  afterAll(() => client?.close());

  it("pages through a collection larger than one page", async () => {
    client = api();
    for (let i = 0; i < 5; i++)
      await client.create(
        `/api/v1/namespaces/${ns.name}/configmaps`,
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `page-${i}`, labels: { paged: "yes" } } },
        "agentry",
      );
    requests.length = 0;
    const { items, resourceVersion } = await client.list<{ metadata: { name: string } }>(
      `/api/v1/namespaces/${ns.name}/configmaps`,
      { labelSelector: "paged=yes" },
    );
    expect(items.map((item) => item.metadata.name).sort()).toEqual([
      "page-0",
      "page-1",
      "page-2",
      "page-3",
      "page-4",
    ]);
    expect(Number(resourceVersion)).toBeGreaterThan(0);
    expect(requests).toEqual(["list", "list", "list"]);
  });
});
