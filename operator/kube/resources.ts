import { API_GROUP_VERSION, PLURAL } from "../api/constants.ts";

/** The kinds the operator talks about, with their REST names. */
export const RESOURCES = {
  AgentDeployment: { apiVersion: API_GROUP_VERSION, plural: PLURAL, namespaced: true },
  Deployment: { apiVersion: "apps/v1", plural: "deployments", namespaced: true },
  Service: { apiVersion: "v1", plural: "services", namespaced: true },
  Secret: { apiVersion: "v1", plural: "secrets", namespaced: true },
  ConfigMap: { apiVersion: "v1", plural: "configmaps", namespaced: true },
  Event: { apiVersion: "v1", plural: "events", namespaced: true },
  Namespace: { apiVersion: "v1", plural: "namespaces", namespaced: false },
  ServiceAccount: { apiVersion: "v1", plural: "serviceaccounts", namespaced: true },
  HorizontalPodAutoscaler: {
    apiVersion: "autoscaling/v2",
    plural: "horizontalpodautoscalers",
    namespaced: true,
  },
  PodDisruptionBudget: { apiVersion: "policy/v1", plural: "poddisruptionbudgets", namespaced: true },
  Lease: { apiVersion: "coordination.k8s.io/v1", plural: "leases", namespaced: true },
  HTTPRoute: { apiVersion: "gateway.networking.k8s.io/v1", plural: "httproutes", namespaced: true },
} as const;

export type ResourceKind = keyof typeof RESOURCES;

export function isKnownKind(kind: string): kind is ResourceKind {
  return kind in RESOURCES;
}

/**
 * REST path of a collection or an object: /api/v1/namespaces/ns/secrets/name,
 * /apis/apps/v1/deployments (all namespaces).
 */
export function resourcePath(
  kind: ResourceKind,
  options: {
    namespace?: string | undefined;
    name?: string | undefined;
    subresource?: string | undefined;
  } = {},
): string {
  const resource = RESOURCES[kind];
  const base = resource.apiVersion.includes("/")
    ? `/apis/${resource.apiVersion}`
    : `/api/${resource.apiVersion}`;
  const namespace =
    resource.namespaced && options.namespace ? `/namespaces/${encodeURIComponent(options.namespace)}` : "";
  const name = options.name ? `/${encodeURIComponent(options.name)}` : "";
  const subresource = options.subresource ? `/${options.subresource}` : "";
  return `${base}${namespace}/${resource.plural}${name}${subresource}`;
}
