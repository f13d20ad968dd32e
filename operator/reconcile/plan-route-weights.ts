/**
 * Stage 8 of a reconcile: the canary's weight on the user's HTTPRoute (gatewayAPI traffic
 * routing), set by a conditional JSON patch; 0 once the rollout is complete. A route that does not
 * send traffic to the stable and canary Services blocks the rollout.
 */

import { routeDriftReport, settledRouteWeight } from "./drift/route-drift.ts";
import { childNames } from "./names.ts";
import type { Blocked, DriftReport, ObservedState, ReconcilePlan } from "./reconcile-plan.ts";
import type { Revisions } from "./revisions.ts";
import type { StrategyOutcome } from "./rollout-step.ts";
import { planRouteWeights } from "./route-weights.ts";
import { REASONS } from "./status/reasons.ts";

export interface RouteWeightsOutcome {
  routeWeights: ReconcilePlan["routeWeights"];
  drift: DriftReport[];
  blocked: Blocked | undefined;
}

export function planRouteWeightsOf(
  observed: ObservedState,
  revisions: Revisions,
  outcome: StrategyOutcome,
): RouteWeightsOutcome {
  const { agent } = observed;
  const { spec } = agent;
  const none: RouteWeightsOutcome = { routeWeights: undefined, drift: [], blocked: undefined };
  const gatewayAPI =
    spec.strategy.type === "Canary" ? spec.strategy.canary?.trafficRouting?.gatewayAPI : undefined;
  if (!gatewayAPI) return none;
  const name = agent.metadata.name;
  const weight = outcome.complete ? 0 : outcome.routeWeight;
  const weights = planRouteWeights(
    observed.httpRoute ?? undefined,
    gatewayAPI.httpRoute,
    { stable: childNames.stableService(name), canary: childNames.canaryService(name) },
    weight,
  );
  if (!weights.ok)
    return revisions.progressive
      ? { ...none, blocked: { reason: REASONS.trafficRoutingInvalid, message: weights.problem } }
      : none;
  if (weights.patch.length === 0) return none;
  // The route already carried this rollout's weight: someone changed it, a repair to report.
  const repaired =
    settledRouteWeight(agent.status ?? {}, revisions.revision, outcome.complete) === weight
      ? [routeDriftReport(gatewayAPI.httpRoute, agent.metadata.namespace ?? "default", weights.patch)]
      : [];
  return {
    routeWeights: { name: gatewayAPI.httpRoute, patch: weights.patch },
    drift: repaired,
    blocked: undefined,
  };
}
