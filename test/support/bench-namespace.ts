// The namespaces the benchmarks run in: made fresh for each run, deleted after it.

import type { KubeApi } from "../../operator/kube/kube-api.ts";
import { resourcePath } from "../../operator/kube/resources.ts";
import { waitFor } from "./wait-for.ts";

/** Deletes `name` if it is there (what a previous run left), creates it, and waits for its ServiceAccount. */
export async function freshNamespace(api: KubeApi, name: string, timeoutMs: number): Promise<string> {
  await deleteNamespace(api, name, timeoutMs);
  await api.create(
    resourcePath("Namespace"),
    { apiVersion: "v1", kind: "Namespace", metadata: { name } },
    "bench",
  );
  await waitFor(
    `the default ServiceAccount of ${name}`,
    async () =>
      (await api.get(resourcePath("ServiceAccount", { namespace: name, name: "default" }))) !== undefined,
    60_000,
    undefined,
    500,
  );
  return name;
}

export async function deleteNamespace(api: KubeApi, name: string, timeoutMs: number): Promise<void> {
  await api.delete(resourcePath("Namespace", { name }));
  await waitFor(
    `namespace ${name} to be gone`,
    async () => (await api.get(resourcePath("Namespace", { name }))) === undefined,
    timeoutMs,
    undefined,
    500,
  );
}
