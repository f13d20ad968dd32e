/**
 * Drift of the canary's weights on the user's HTTPRoute: a weight the route already carried for
 * this rollout that someone changed is repaired and reported like any other drift; a step's own
 * weight change is not drift.
 */
import type { AgentDeploymentStatus } from "../../api/agent-deployment.ts";
import type { DesiredObject } from "../children.ts";
import type { DriftReport } from "../reconcile-plan.ts";
import type { JsonPatchOperation } from "../route-weights.ts";

/**
 * The weight the last status reported as set on the route for this revision: the canary's weight
 * while its rollout runs, 0 once it completed; undefined when the weight is about to change anyway.
 */
export function settledRouteWeight(
  previous: AgentDeploymentStatus,
  revision: string,
  complete: boolean,
): number | undefined {
  if (previous.updateRevision !== revision) return undefined;
  if (complete) return previous.stableRevision === revision && !previous.canary ? 0 : undefined;
  return previous.canary?.weight;
}

/** A repair of route weights, reported as drift of `spec.rules[i].backendRefs[j].weight`. */
export function routeDriftReport(
  name: string,
  namespace: string,
  patch: readonly JsonPatchOperation[],
): DriftReport {
  const fields = patch
    .filter((operation) => operation.op !== "test")
    .map((operation) => ({
      path: operation.path
        .slice(1)
        .replace(/\/(\d+)/g, "[$1]")
        .replaceAll("/", "."),
      missingEntry: false,
    }));
  const declared = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace },
  } as DesiredObject;
  return { kind: "HTTPRoute", name, fields, missing: false, declared };
}
