// The AgentDeployments the benchmarks run: N minimal agents in one namespace.

import type { KubeApi } from "../../operator/kube/kube-api.ts";
import { resourcePath } from "../../operator/kube/resources.ts";
import { retryingCheck } from "./retrying-check.ts";
import { waitFor } from "./wait-for.ts";
import { pool } from "./worker-pool.ts";

export const BENCH_IMAGE = "ghcr.io/agentry/agent-runtime:bench";

export const agentName = (index: number) => `agent-${index}`;

/** How often the waits list every agent: a list of 10 000 agents is tens of MB, so less often there. */
export const pollMs = (n: number) => Math.max(500, n / 2);

/** Creates `agent-0` .. `agent-(n-1)` (RollingUpdate, one replica by default), `concurrency` at a time. */
export async function createAgents(
  api: KubeApi,
  namespace: string,
  n: number,
  concurrency: number,
): Promise<void> {
  await pool(n, concurrency, (index) =>
    api.create(
      resourcePath("AgentDeployment", { namespace }),
      {
        apiVersion: "agentry.dev/v1alpha1",
        kind: "AgentDeployment",
        metadata: { name: agentName(index) },
        spec: { image: BENCH_IMAGE, agent: { model: "gpt-4o-mini" } },
      },
      "bench",
    ),
  );
}

/** Waits until all `n` agents of `namespace` report Ready=True. */
export async function waitAgentsReady(
  api: KubeApi,
  namespace: string,
  n: number,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    `${n} agents to be Ready`,
    retryingCheck(async () => {
      const { items } = await api.list<{
        status?: { conditions?: Array<{ type: string; status: string }> };
      }>(resourcePath("AgentDeployment", { namespace }));
      return (
        items.filter((item) =>
          item.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
        ).length === n
      );
    }),
    timeoutMs,
    undefined,
    pollMs(n),
  );
}
