import { LABELS } from "../../api/constants.ts";
import type { Deployment } from "../../kube/objects.ts";
import { RUNTIME_CONTAINER } from "../../reconcile/pod-template.ts";

/** One live revision of an agent, read from its Deployment NAME-<revision>. */
export interface RevisionSummary {
  revision: string;
  deployment: string;
  image: string;
  model: string;
  /** Pods the operator asks this revision for. */
  desired: number;
  ready: number;
  createdAt: string;
}

interface PodTemplate {
  spec?: {
    containers?: Array<{ name?: string; image?: string; env?: Array<{ name?: string; value?: string }> }>;
  };
}

/** The runtime container's image and AGENTRY_MODEL, the pods' desired and ready counts. */
export function summarizeRevision(deployment: Deployment): RevisionSummary {
  const template = deployment.spec?.template as PodTemplate | undefined;
  const containers = template?.spec?.containers ?? [];
  const container = containers.find((candidate) => candidate.name === RUNTIME_CONTAINER) ?? containers[0];
  const model = container?.env?.find((variable) => variable.name === "AGENTRY_MODEL")?.value;
  return {
    revision: deployment.metadata.labels?.[LABELS.revision] ?? "?",
    deployment: deployment.metadata.name,
    image: container?.image ?? "?",
    model: model ?? "?",
    desired: deployment.spec?.replicas ?? 0,
    ready: deployment.status?.readyReplicas ?? 0,
    createdAt: deployment.metadata.creationTimestamp ?? "",
  };
}
