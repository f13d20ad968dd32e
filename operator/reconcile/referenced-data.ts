import type { AgentDeploymentSpec } from "../api/agent-deployment.ts";
import { type CalledAgent, toolCredential } from "./called-agent.ts";
import { AUTH_SECRET_KEY, childNames } from "./names.ts";

/** A key of a Secret or ConfigMap the agent's pods read. */
export interface DataReference {
  kind: "Secret" | "ConfigMap";
  name: string;
  /** undefined: the whole object (envFrom). */
  key?: string;
  /** The spec field that refers to it, for messages that say what to fix. */
  field: string;
}

/**
 * Every Secret and ConfigMap key the pods read. Their content hashes are part of the revision, so
 * a rotated key or an edited prompt rolls out like any other change; a missing one stalls the
 * agent with a message naming `field`.
 */
export function referencedData(
  name: string,
  spec: AgentDeploymentSpec,
  calledAgents: ReadonlyMap<string, CalledAgent> = new Map(),
): DataReference[] {
  const refs: DataReference[] = [];
  const { agent, auth } = spec;
  if (agent.provider.apiKeySecretRef) {
    refs.push({
      kind: "Secret",
      ...agent.provider.apiKeySecretRef,
      field: "spec.agent.provider.apiKeySecretRef",
    });
  }
  const redis = agent.memory?.redis;
  const redisSecrets = {
    urlSecretRef: redis?.urlSecretRef,
    "sentinel.sentinelPasswordSecretRef": redis?.sentinel?.sentinelPasswordSecretRef,
    "sentinel.passwordSecretRef": redis?.sentinel?.passwordSecretRef,
    "cluster.nodesSecretRef": redis?.cluster?.nodesSecretRef,
    "cluster.passwordSecretRef": redis?.cluster?.passwordSecretRef,
  };
  for (const [path, ref] of Object.entries(redisSecrets)) {
    if (ref) refs.push({ kind: "Secret", ...ref, field: `spec.agent.memory.redis.${path}` });
  }
  const promptFrom = agent.systemPromptFrom;
  if (promptFrom?.configMapKeyRef) {
    refs.push({
      kind: "ConfigMap",
      ...promptFrom.configMapKeyRef,
      field: "spec.agent.systemPromptFrom.configMapKeyRef",
    });
  }
  if (promptFrom?.secretKeyRef) {
    refs.push({
      kind: "Secret",
      ...promptFrom.secretKeyRef,
      field: "spec.agent.systemPromptFrom.secretKeyRef",
    });
  }
  if (auth.secretRef) {
    refs.push({ kind: "Secret", ...auth.secretRef, field: "spec.auth.secretRef" });
  } else if (auth.mode === "apiKey") {
    refs.push({
      kind: "Secret",
      name: childNames.authSecret(name),
      key: AUTH_SECRET_KEY,
      field: "spec.auth",
    });
  }
  // A called agent's rotated key rolls out its callers too.
  agent.tools?.forEach((tool, index) => {
    const credential = toolCredential(tool, calledAgents);
    if (credential) {
      const via = tool.credentialSecretRef ? "credentialSecretRef" : "agentRef";
      refs.push({ kind: "Secret", ...credential, field: `spec.agent.tools[${index}].${via}` });
    }
  });
  spec.env?.forEach((variable, index) => {
    const from = variable.valueFrom;
    if (from?.secretKeyRef)
      refs.push({ kind: "Secret", ...from.secretKeyRef, field: `spec.env[${index}].valueFrom` });
    if (from?.configMapKeyRef) {
      refs.push({ kind: "ConfigMap", ...from.configMapKeyRef, field: `spec.env[${index}].valueFrom` });
    }
  });
  spec.envFrom?.forEach((source, index) => {
    if (source.secretRef)
      refs.push({ kind: "Secret", name: source.secretRef.name, field: `spec.envFrom[${index}]` });
    if (source.configMapRef) {
      refs.push({ kind: "ConfigMap", name: source.configMapRef.name, field: `spec.envFrom[${index}]` });
    }
  });
  return refs;
}
