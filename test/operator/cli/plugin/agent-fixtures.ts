// AgentDeployments and Deployments as the API server returns them, for the plugin's pure views.
import type { AgentDeploymentStatus } from "../../../../operator/api/agent-deployment.ts";
import type { AgentObject } from "../../../../operator/cli/plugin/agent-snapshot.ts";
import type { Deployment } from "../../../../operator/kube/objects.ts";

export const STEPS = [{ setWeight: 25 }, { pause: { duration: "2s" } }, { setWeight: 50 }, { pause: {} }];

export function canaryAgent(
  status: AgentDeploymentStatus,
  spec: Partial<AgentObject["spec"]> = {},
): AgentObject {
  return {
    apiVersion: "agentry.dev/v1alpha1",
    kind: "AgentDeployment",
    metadata: { name: "bot", namespace: "agents", generation: 3, uid: "u1", resourceVersion: "42" },
    spec: {
      replicas: 4,
      agent: { model: "gpt-4o" },
      strategy: { type: "Canary", canary: { steps: STEPS } },
      ...spec,
    },
    status: { observedGeneration: 3, ...status },
  };
}

export function revisionDeployment(
  revision: string,
  model: string,
  desired: number,
  ready: number,
): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: `bot-${revision}`,
      labels: { "agentry.dev/revision": revision },
      creationTimestamp: revision === "new" ? "2026-01-02T00:00:00Z" : "2026-01-01T00:00:00Z",
    },
    spec: {
      replicas: desired,
      template: {
        spec: {
          containers: [
            {
              name: "agent",
              image: "ghcr.io/agentry/agent-runtime:1.2.0",
              env: [{ name: "AGENTRY_MODEL", value: model }],
            },
          ],
        },
      },
    },
    status: { readyReplicas: ready },
  };
}

export const HISTORY = [
  {
    revision: "new",
    image: "ghcr.io/agentry/agent-runtime:1.2.0",
    model: "gpt-4o",
    startedAt: "2026-01-02T00:00:00Z",
    outcome: "Progressing" as const,
  },
  {
    revision: "old",
    image: "ghcr.io/agentry/agent-runtime:1.1.0",
    model: "gpt-4o-mini",
    startedAt: "2026-01-01T00:00:00Z",
    outcome: "Promoted" as const,
  },
];
