import { RUNTIME_ENDPOINTS } from "../../agent-runtime/contract/endpoints.ts";
import type { AgentDeploymentSpec } from "../api/agent-deployment.ts";
import { LABELS } from "../api/constants.ts";
import { ownedLabels } from "./names.ts";
import { type EnvVar, RUNTIME_PORT } from "./runtime-env.ts";

export const RUNTIME_CONTAINER = "agent";

/** Runtime image user; the restricted securityContext needs a numeric non-root user. */
const RUNTIME_UID = 1000;

type ProbeOverride = NonNullable<NonNullable<AgentDeploymentSpec["probes"]>["liveness"]>;

const DEFAULT_PROBES = {
  // Up to a minute for a cold start before liveness takes over.
  startup: { path: RUNTIME_ENDPOINTS.livez, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 },
  liveness: { path: RUNTIME_ENDPOINTS.livez, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
  // Readiness: started and not draining. A Redis or model outage does not fail it, so an outage
  // of a shared dependency never empties the Service of every endpoint at once.
  readiness: { path: RUNTIME_ENDPOINTS.readyz, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
};

const DEFAULT_RESOURCES = { requests: { cpu: "100m", memory: "128Mi" } };

function probe(
  defaults: (typeof DEFAULT_PROBES)[keyof typeof DEFAULT_PROBES],
  override: ProbeOverride | undefined,
) {
  const { path, ...timing } = defaults;
  return { httpGet: { path, port: "http" }, ...timing, ...override };
}

export interface PodTemplateInput {
  agentName: string;
  spec: AgentDeploymentSpec;
  image: string;
  env: EnvVar[];
}

/**
 * The pod template of one revision, without the revision label (the revision is a hash of this
 * template; `withRevision` adds the label afterwards).
 */
export function buildPodTemplate({ agentName, spec, image, env }: PodTemplateInput) {
  const labels = { ...spec.podLabels, ...ownedLabels(agentName) };
  const annotations = {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(RUNTIME_PORT),
    "prometheus.io/path": RUNTIME_ENDPOINTS.metrics,
    ...spec.podAnnotations,
  };
  return {
    metadata: { labels, annotations },
    spec: {
      ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: RUNTIME_UID,
        runAsGroup: RUNTIME_UID,
        seccompProfile: { type: "RuntimeDefault" },
      },
      ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
      ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
      ...(spec.affinity ? { affinity: spec.affinity } : {}),
      ...(spec.topologySpreadConstraints
        ? { topologySpreadConstraints: spec.topologySpreadConstraints }
        : {}),
      ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets } : {}),
      ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
      containers: [
        {
          name: RUNTIME_CONTAINER,
          image,
          ...(spec.imagePullPolicy ? { imagePullPolicy: spec.imagePullPolicy } : {}),
          ports: [{ name: "http", containerPort: RUNTIME_PORT, protocol: "TCP" }],
          env,
          ...(spec.envFrom ? { envFrom: spec.envFrom } : {}),
          resources: spec.resources ?? DEFAULT_RESOURCES,
          startupProbe: probe(DEFAULT_PROBES.startup, spec.probes?.startup),
          livenessProbe: probe(DEFAULT_PROBES.liveness, spec.probes?.liveness),
          readinessProbe: probe(DEFAULT_PROBES.readiness, spec.probes?.readiness),
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
        },
      ],
    },
  };
}

export type PodTemplate = ReturnType<typeof buildPodTemplate>;

/**
 * Adds the revision label, and points topology spread constraints that name no selector at the
 * revision's own pods (what users mean by "spread my agent").
 */
export function withRevision(template: PodTemplate, revision: string): PodTemplate {
  const labels = { ...template.metadata.labels, [LABELS.revision]: revision };
  const spread = template.spec.topologySpreadConstraints?.map((constraint) =>
    constraint.labelSelector
      ? constraint
      : { ...constraint, labelSelector: { matchLabels: labelsForSpread(labels) } },
  );
  return {
    metadata: { ...template.metadata, labels },
    spec: { ...template.spec, ...(spread ? { topologySpreadConstraints: spread } : {}) },
  };
}

function labelsForSpread(labels: Record<string, string>): Record<string, string> {
  return { [LABELS.agent]: labels[LABELS.agent] ?? "", [LABELS.revision]: labels[LABELS.revision] ?? "" };
}
