/** Small manifests for tests against the control plane (JSON text, which kubectl reads as YAML). */

export interface DeploymentOptions {
  replicas: number;
  labels?: Record<string, string>;
  /** Extra pod template labels, e.g. a revision the selector does not include. */
  podLabels?: Record<string, string>;
  image?: string;
  progressDeadlineSeconds?: number;
}

/** A Deployment whose pods kwok runs (the image is never pulled: there is no kubelet). */
export function deploymentManifest(name: string, options: DeploymentOptions): string {
  const labels = options.labels ?? { app: name };
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: labels },
      ...(options.progressDeadlineSeconds === undefined
        ? {}
        : { progressDeadlineSeconds: options.progressDeadlineSeconds }),
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { ...labels, ...options.podLabels } },
        spec: { containers: [{ name: "main", image: options.image ?? "registry.invalid/agentry/fake:1" }] },
      },
    },
  });
}
