// Manifests shared by the operator's integration tests.

export function secretManifest(name: string, data: Record<string, string>): string {
  return JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name }, stringData: data });
}

export function agentManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: "agentry.dev/v1alpha1",
    kind: "AgentDeployment",
    metadata: { name },
    spec,
  });
}

export const redisMemory = { redis: { urlSecretRef: { name: "redis", key: "url" } } };
export const openaiKey = { apiKeySecretRef: { name: "openai", key: "api-key" } };

export interface AgentStatus {
  observedGeneration?: number;
  phase?: string;
  message?: string;
  replicas?: number;
  readyReplicas?: number;
  updateRevision?: string;
  stableRevision?: string;
  hpaReplicas?: number;
  aborted?: boolean;
  abortMessage?: string;
  canary?: {
    currentStepIndex?: number;
    stepCount?: number;
    weight?: number;
    analysis?: { phase: string; measurements?: number };
    backgroundAnalysis?: { phase: string };
  };
  blueGreen?: {
    activeRevision?: string;
    previewRevision?: string;
    promotedAt?: string;
    scaleDownAt?: string;
  };
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  history?: Array<{ revision: string; outcome: string; message?: string }>;
}

export interface AgentObject {
  metadata: { name: string; generation: number; uid: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: AgentStatus;
}

export interface DeploymentObject {
  metadata: {
    name: string;
    labels: Record<string, string>;
    ownerReferences?: Array<{ uid: string; controller: boolean }>;
  };
  spec: {
    replicas: number;
    template: {
      spec: { containers: Array<{ env: Array<{ name: string; value?: string; valueFrom?: unknown }> }> };
    };
  };
  status?: { availableReplicas?: number };
}
