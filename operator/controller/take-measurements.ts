import type { Logger } from "pino";
import { errorMeasurements, measureMetrics } from "../analysis/measure-metric.ts";
import { withPrometheusClient } from "../analysis/prometheus-client.ts";
import { resolvePrometheusTarget } from "../analysis/prometheus-target.ts";
import type { AgentDeployment } from "../api/agent-deployment.ts";
import { parseDurationMs } from "../api/primitives.ts";
import type { OperatorConfig } from "../config.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import type { Secret } from "../kube/objects.ts";
import { resourcePath } from "../kube/resources.ts";
import type { TakenMeasurements } from "../reconcile/analysis-gate.ts";
import type { DueAnalysis } from "../reconcile/due-analyses.ts";

export interface MeasureDeps {
  api: KubeApi;
  prometheus: OperatorConfig["prometheus"];
  log: Logger;
}

/**
 * Takes the analysis rounds due for this agent (`due`, from dueAnalyses) from Prometheus. A
 * round that cannot query at all (no address, a missing Secret) comes back as Error
 * measurements, which the analysis counts towards consecutiveErrorLimit: it pauses the rollout,
 * never passes it.
 */
export async function takeMeasurements(
  agent: AgentDeployment,
  due: readonly DueAnalysis[],
  deps: MeasureDeps,
  now: Date,
): Promise<TakenMeasurements> {
  const taken: TakenMeasurements = {};
  const namespace = agent.metadata.namespace ?? "default";
  for (const round of due) {
    const target = await resolvePrometheusTarget(round.spec.prometheus, deps.prometheus, async (ref) => {
      const secret = await deps.api.get<Secret>(resourcePath("Secret", { namespace, name: ref.name }));
      const value = secret?.data?.[ref.key];
      return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
    });
    if (target.kind === "error") {
      taken[round.slot] = errorMeasurements(round.spec.metrics, target.message, now);
      continue;
    }
    const context = {
      namespace,
      agent: agent.metadata.name,
      canaryRevision: round.canaryRevision,
      stableRevision: round.stableRevision,
      intervalMs: parseDurationMs(round.spec.interval),
    };
    taken[round.slot] = await withPrometheusClient(target.target, (query) =>
      measureMetrics(round.spec.metrics, context, query, now),
    );
    deps.log.debug({ slot: round.slot, measurements: taken[round.slot] }, "analysis measured");
  }
  return taken;
}
