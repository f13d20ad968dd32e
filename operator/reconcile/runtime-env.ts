import { RUNTIME_ENDPOINTS } from "../../agent-runtime/contract/endpoints.ts";
import {
  formatHostPortList,
  type RuntimeEnvName,
  TOOL_CREDENTIAL_ENV_PREFIX,
  type ToolEnvEntry,
} from "../../agent-runtime/contract/runtime-env.ts";
import type { AgentDeployment } from "../api/agent-deployment.ts";
import { LABELS } from "../api/constants.ts";
import { DEFAULT_SERVICE_PORT } from "../api/serving-spec.ts";
import { type CalledAgent, toolCredential } from "./called-agent.ts";
import { AUTH_SECRET_KEY, childNames, serviceHost } from "./names.ts";

/** core/v1 EnvVar. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

/** The port the runtime listens on inside the pod. */
export const RUNTIME_PORT = RUNTIME_ENDPOINTS.defaultPort;

/** Seconds kept between the runtime's drain deadline and the kubelet's SIGKILL. */
const SHUTDOWN_MARGIN_SECONDS = 5;

export interface RuntimeEnvContext {
  /** Each AgentDeployment a tool's agentRef names; absent = not found. */
  calledAgents: ReadonlyMap<string, CalledAgent>;
  clusterDomain: string;
}

export interface RuntimeEnvResult {
  env: EnvVar[];
  /** Tools whose agentRef names no AgentDeployment. */
  missingAgents: string[];
}

/**
 * The runtime container's environment, built from the spec against the runtime's contract
 * (agent-runtime/contract/). Secret values are passed as secretKeyRef only: nothing secret is
 * copied into the pod template, logs or Events.
 */
export function buildRuntimeEnv(agent: AgentDeployment, context: RuntimeEnvContext): RuntimeEnvResult {
  const { spec } = agent;
  const { name } = agent.metadata;
  const namespace = agent.metadata.namespace ?? "default";
  const env: EnvVar[] = [];
  const set = (variable: RuntimeEnvName, value: string | number | boolean | undefined) => {
    if (value !== undefined) env.push({ name: variable, value: String(value) });
  };
  const fromSecret = (variable: RuntimeEnvName, ref: { name: string; key: string }) => {
    env.push({ name: variable, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
  };

  const { agent: agentSpec, auth, rateLimit } = spec;
  set("AGENTRY_MODEL", agentSpec.model);
  set("AGENTRY_TEMPERATURE", agentSpec.temperature);
  set("AGENTRY_MAX_TOKENS", agentSpec.maxTokens);
  set("AGENTRY_SYSTEM_PROMPT", agentSpec.systemPrompt);
  const promptFrom = agentSpec.systemPromptFrom;
  if (promptFrom?.configMapKeyRef) {
    env.push({
      name: "AGENTRY_SYSTEM_PROMPT",
      valueFrom: { configMapKeyRef: { ...promptFrom.configMapKeyRef } },
    });
  }
  if (promptFrom?.secretKeyRef) fromSecret("AGENTRY_SYSTEM_PROMPT", promptFrom.secretKeyRef);

  const { provider } = agentSpec;
  // The default type is left out, so agents without Azure keep the pod template (and revision) they had.
  if (provider.type !== "openai") set("AGENTRY_PROVIDER_TYPE", provider.type);
  set("AGENTRY_PROVIDER_BASE_URL", provider.baseURL);
  if (provider.apiKeySecretRef) fromSecret("AGENTRY_PROVIDER_API_KEY", provider.apiKeySecretRef);
  set("AGENTRY_PROVIDER_AZURE_DEPLOYMENT", provider.azure?.deployment);
  set("AGENTRY_PROVIDER_AZURE_API_VERSION", provider.azure?.apiVersion);
  set("AGENTRY_PROVIDER_TIMEOUT_SECONDS", provider.timeoutSeconds);
  set("AGENTRY_PROVIDER_MAX_RETRIES", provider.maxRetries);
  set("AGENTRY_PROVIDER_MAX_CONNECTIONS", provider.maxConnections);
  set("AGENTRY_PROVIDER_MAX_RESPONSE_BYTES", provider.maxResponseBytes);

  if (agentSpec.memory) {
    const { redis } = agentSpec.memory;
    if (redis.urlSecretRef) fromSecret("AGENTRY_REDIS_URL", redis.urlSecretRef);
    const servers = redis.sentinel ?? redis.cluster;
    if (redis.sentinel) {
      set("AGENTRY_REDIS_SENTINELS", formatHostPortList(redis.sentinel.sentinels));
      set("AGENTRY_REDIS_SENTINEL_MASTER", redis.sentinel.masterName);
      if (redis.sentinel.sentinelPasswordSecretRef)
        fromSecret("AGENTRY_REDIS_SENTINEL_PASSWORD", redis.sentinel.sentinelPasswordSecretRef);
    }
    if (redis.cluster?.nodes) set("AGENTRY_REDIS_CLUSTER_NODES", formatHostPortList(redis.cluster.nodes));
    if (redis.cluster?.nodesSecretRef)
      fromSecret("AGENTRY_REDIS_CLUSTER_NODES", redis.cluster.nodesSecretRef);
    if (servers) {
      set("AGENTRY_REDIS_USERNAME", servers.username);
      if (servers.passwordSecretRef) fromSecret("AGENTRY_REDIS_PASSWORD", servers.passwordSecretRef);
      if (servers.tls) set("AGENTRY_REDIS_TLS", "true");
    }
    if (redis.waitForReplicas > 0) set("AGENTRY_REDIS_WAIT_REPLICAS", redis.waitForReplicas);
    // Every revision of the agent shares one key space: a session continues on any revision.
    set("AGENTRY_REDIS_KEY_PREFIX", `agentry:${namespace}/${name}:`);
    set("AGENTRY_MEMORY_TTL_SECONDS", agentSpec.memory.ttlSeconds);
    set("AGENTRY_MEMORY_MAX_HISTORY_MESSAGES", agentSpec.memory.maxHistoryMessages);
    set("AGENTRY_MEMORY_MAX_HISTORY_BYTES", agentSpec.memory.maxHistoryBytes);
    set("AGENTRY_MEMORY_MAX_MESSAGE_BYTES", agentSpec.memory.maxMessageBytes);
    set("AGENTRY_MEMORY_MAX_SESSIONS_PER_CALLER", agentSpec.memory.maxSessionsPerCaller);
  }
  if (agentSpec.cache) set("AGENTRY_CACHE_TTL_SECONDS", agentSpec.cache.ttlSeconds);
  // Only the opt-in is written, so agents without it keep the pod template (and revision) they had.
  if (agentSpec.cache?.shared) set("AGENTRY_CACHE_SHARED", "true");

  const missingAgents: string[] = [];
  if (agentSpec.tools && agentSpec.tools.length > 0) {
    const tools = agentSpec.tools.map((tool, index): ToolEnvEntry => {
      const credential = toolCredential(tool, context.calledAgents);
      const credentialEnv = `${TOOL_CREDENTIAL_ENV_PREFIX}${index}`;
      if (credential) env.push({ name: credentialEnv, valueFrom: { secretKeyRef: { ...credential } } });
      const base = {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        ...(tool.parameters === undefined ? {} : { parameters: tool.parameters }),
        timeoutSeconds: tool.timeoutSeconds,
        ...(credential ? { credentialEnv } : {}),
      };
      if (tool.url !== undefined) return { ...base, url: tool.url, kind: "http" };
      const target = tool.agentRef?.name ?? "";
      const port = context.calledAgents.get(target)?.port;
      if (port === undefined) missingAgents.push(target);
      const host = serviceHost(target, namespace, context.clusterDomain);
      return {
        ...base,
        url: `http://${host}:${port ?? DEFAULT_SERVICE_PORT}${RUNTIME_ENDPOINTS.chat}`,
        kind: "agent",
      };
    });
    set("AGENTRY_TOOLS", JSON.stringify(tools));
  }
  set("AGENTRY_MAX_TOOL_ROUNDS", agentSpec.maxToolRounds);
  // Only what is set, so agents that do not use these keep their pod template (no rollout).
  set("AGENTRY_PASSTHROUGH_MAX_N", agentSpec.passthrough?.maxN);
  set("AGENTRY_PASSTHROUGH_ALLOW_TEMPERATURE", agentSpec.passthrough?.allowTemperature);
  set("AGENTRY_PASSTHROUGH_ALLOW_TOOLS", agentSpec.passthrough?.allowTools);

  set("AGENTRY_AUTH_MODE", auth.mode);
  if (auth.mode === "apiKey") {
    fromSecret(
      "AGENTRY_API_KEYS",
      auth.secretRef ?? { name: childNames.authSecret(name), key: AUTH_SECRET_KEY },
    );
  }
  if (auth.mode !== "none" && auth.failedAttempts) {
    set("AGENTRY_AUTH_FAILURES_PER_MINUTE", auth.failedAttempts.perMinute);
    set("AGENTRY_AUTH_FAILURE_BURST", auth.failedAttempts.burst);
  }
  if (auth.mode === "jwt") {
    if (auth.secretRef) fromSecret("AGENTRY_JWT_SECRET", auth.secretRef);
    set("AGENTRY_JWT_JWKS_URL", auth.jwt?.jwksURL);
    set("AGENTRY_JWT_ISSUER", auth.jwt?.issuer);
    set("AGENTRY_JWT_AUDIENCE", auth.jwt?.audience);
    set("AGENTRY_JWT_ROLES_CLAIM", auth.jwt?.rolesClaim);
    set("AGENTRY_JWT_SUBJECT_CLAIM", auth.jwt?.subjectClaim);
    if (auth.jwt?.routeRoles) set("AGENTRY_AUTH_ROUTE_ROLES", JSON.stringify(auth.jwt.routeRoles));
  }
  if (rateLimit) {
    set("AGENTRY_RATE_LIMIT_RPM", rateLimit.requestsPerMinute);
    set("AGENTRY_RATE_LIMIT_BURST", rateLimit.burst);
    set("AGENTRY_RATE_LIMIT_KEY", rateLimit.key);
  }
  // The revision hash is computed over this template, so the runtime reads it from its pod label.
  env.push({
    name: "AGENTRY_REVISION",
    valueFrom: { fieldRef: { fieldPath: `metadata.labels['${LABELS.revision}']` } },
  });
  // Every metric carries the agent's name, which the analyses' builtin queries select on.
  set("AGENTRY_AGENT", name);
  set("AGENTRY_PORT", RUNTIME_PORT);
  set(
    "AGENTRY_SHUTDOWN_DEADLINE_SECONDS",
    Math.max(1, spec.terminationGracePeriodSeconds - SHUTDOWN_MARGIN_SECONDS),
  );

  for (const variable of spec.env ?? []) env.push({ ...variable } as EnvVar);
  return { env, missingAgents };
}
