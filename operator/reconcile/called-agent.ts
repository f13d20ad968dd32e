import type { AgentDeployment } from "../api/agent-deployment.ts";
import { DEFAULT_SERVICE_PORT } from "../api/serving-spec.ts";
import { AUTH_SECRET_KEY, childNames } from "./names.ts";

export interface SecretKeyRef {
  name: string;
  key: string;
}

/** What a caller needs to know about an agent that one of its tools calls (agentRef). */
export interface CalledAgent {
  port: number;
  authMode: "none" | "apiKey" | "jwt";
  /** The Secret key holding the called agent's API keys (apiKey mode); its first key is sent. */
  keySecret?: SecretKeyRef;
}

/** Reads the parts of a called AgentDeployment that its callers depend on. */
export function calledAgentOf(target: {
  metadata: { name: string };
  spec?: { service?: { port?: number }; auth?: { mode?: string; secretRef?: SecretKeyRef } };
}): CalledAgent {
  const port = target.spec?.service?.port ?? DEFAULT_SERVICE_PORT;
  const mode = target.spec?.auth?.mode;
  if (mode === "apiKey") {
    const keySecret = target.spec?.auth?.secretRef ?? {
      name: childNames.authSecret(target.metadata.name),
      key: AUTH_SECRET_KEY,
    };
    return { port, authMode: "apiKey", keySecret: { name: keySecret.name, key: keySecret.key } };
  }
  return { port, authMode: mode === "jwt" ? "jwt" : "none" };
}

type Tool = NonNullable<AgentDeployment["spec"]["agent"]["tools"]>[number];

/**
 * The Secret key whose value the runtime sends as a tool's bearer credential: the tool's own
 * credentialSecretRef, else the called agent's API key Secret. undefined: the call carries none.
 */
export function toolCredential(
  tool: Tool,
  calledAgents: ReadonlyMap<string, CalledAgent>,
): SecretKeyRef | undefined {
  if (tool.credentialSecretRef) return tool.credentialSecretRef;
  const called = tool.agentRef ? calledAgents.get(tool.agentRef.name) : undefined;
  return called?.keySecret;
}

/** Tools calling an agent in jwt mode without a credential: the calls would all be refused. */
export function toolsLackingCredential(
  tools: readonly Tool[],
  calledAgents: ReadonlyMap<string, CalledAgent>,
): string[] {
  return tools
    .filter((tool) => tool.agentRef && !tool.credentialSecretRef)
    .filter((tool) => calledAgents.get(tool.agentRef?.name ?? "")?.authMode === "jwt")
    .map((tool) => `${tool.name} (calls ${tool.agentRef?.name}, which uses jwt auth)`);
}
