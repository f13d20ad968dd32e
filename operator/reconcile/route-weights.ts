import type { AgentDeployment } from "../api/agent-deployment.ts";
import type { KubeObject } from "../kube/objects.ts";

/** The HTTPRoute a canary with gatewayAPI traffic routing sets weights on, if any. */
export function httpRouteOf(agent: AgentDeployment): string | undefined {
  const { strategy } = agent.spec;
  return strategy.type === "Canary" ? strategy.canary?.trafficRouting?.gatewayAPI?.httpRoute : undefined;
}

/** One RFC 6902 operation, as the API server takes it with application/json-patch+json. */
export type JsonPatchOperation =
  | { op: "test"; path: string; value: unknown }
  | { op: "replace" | "add"; path: string; value: unknown };

interface BackendRef {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  weight?: number;
}

export interface HttpRoute extends KubeObject {
  spec?: { rules?: Array<{ backendRefs?: BackendRef[] }> };
}

export type RouteWeights =
  | {
      ok: true;
      /** Operations that set the weights; empty when the route already carries them. */
      patch: JsonPatchOperation[];
      /** The weights the route carries now, for the stable and the canary Service. */
      current: { stable: number; canary: number };
    }
  | { ok: false; problem: string };

/**
 * The JSON patch that gives the backendRefs naming `stableService` and `canaryService` the
 * weights `100 - weight` and `weight`, in every rule that lists both. Only those two weights are
 * written, guarded by the route's resourceVersion: the rest of the route (other rules, filters,
 * other backends) belongs to whoever wrote it. The rules and backendRefs lists are atomic in the
 * Gateway API schema, so a server-side apply of two weights would take the whole list over.
 */
export function planRouteWeights(
  route: HttpRoute | undefined,
  routeName: string,
  services: { stable: string; canary: string },
  weight: number,
): RouteWeights {
  if (!route) return { ok: false, problem: `HTTPRoute ${routeName} not found in this namespace` };
  const namespace = route.metadata.namespace;
  const isService = (ref: BackendRef, name: string) =>
    ref.name === name &&
    (ref.kind ?? "Service") === "Service" &&
    (ref.group ?? "") === "" &&
    (ref.namespace === undefined || ref.namespace === namespace);
  const patch: JsonPatchOperation[] = [];
  let current: { stable: number; canary: number } | undefined;
  (route.spec?.rules ?? []).forEach((rule, ruleIndex) => {
    const refs = rule.backendRefs ?? [];
    const stableIndex = refs.findIndex((ref) => isService(ref, services.stable));
    const canaryIndex = refs.findIndex((ref) => isService(ref, services.canary));
    if (stableIndex < 0 || canaryIndex < 0) return;
    const stableRef = refs[stableIndex] as BackendRef;
    const canaryRef = refs[canaryIndex] as BackendRef;
    // An unset weight is 1 in the Gateway API.
    current ??= { stable: stableRef.weight ?? 1, canary: canaryRef.weight ?? 1 };
    for (const [index, ref, wanted] of [
      [stableIndex, stableRef, 100 - weight],
      [canaryIndex, canaryRef, weight],
    ] as const) {
      if (ref.weight === wanted) continue;
      patch.push({
        op: ref.weight === undefined ? "add" : "replace",
        path: `/spec/rules/${ruleIndex}/backendRefs/${index}/weight`,
        value: wanted,
      });
    }
  });
  if (!current) {
    return {
      ok: false,
      problem: `HTTPRoute ${routeName} has no rule whose backendRefs list both Service ${services.stable} and Service ${services.canary}`,
    };
  }
  if (patch.length > 0) {
    patch.unshift({ op: "test", path: "/metadata/resourceVersion", value: route.metadata.resourceVersion });
  }
  return { ok: true, patch, current };
}
