/**
 * The runtime's environment contract with whoever deploys it (the operator): every variable the
 * runtime reads, and the formats of the ones whose values are lists. Dependency-free on purpose:
 * the operator imports this module and nothing else of the runtime. The runtime's parser
 * (agent-runtime/config/env-schema.ts) declares exactly these names, with types, defaults and
 * descriptions; a compile-time check there keeps the two equal.
 *
 * Empty strings count as "not set": the operator maps optional Secret/ConfigMap keys to env vars,
 * and an absent optional key arrives as "".
 */

/** Every variable the runtime reads; nothing else in the process environment is consulted. */
export const RUNTIME_ENV_NAMES = [
  "AGENTRY_MODEL",
  "AGENTRY_TEMPERATURE",
  "AGENTRY_MAX_TOKENS",
  "AGENTRY_PASSTHROUGH_MAX_N",
  "AGENTRY_PASSTHROUGH_ALLOW_TEMPERATURE",
  "AGENTRY_PASSTHROUGH_ALLOW_TOOLS",
  "AGENTRY_SYSTEM_PROMPT",
  "AGENTRY_PROVIDER_TYPE",
  "AGENTRY_PROVIDER_BASE_URL",
  "AGENTRY_PROVIDER_API_KEY",
  "AGENTRY_PROVIDER_AZURE_DEPLOYMENT",
  "AGENTRY_PROVIDER_AZURE_API_VERSION",
  "AGENTRY_PROVIDER_MAX_CONNECTIONS",
  "AGENTRY_PROVIDER_MAX_RESPONSE_BYTES",
  "AGENTRY_PROVIDER_TIMEOUT_SECONDS",
  "AGENTRY_PROVIDER_MAX_RETRIES",
  "AGENTRY_BREAKER_FAILURE_THRESHOLD",
  "AGENTRY_BREAKER_COOLDOWN_SECONDS",
  "AGENTRY_READYZ_CHECK_MODEL",
  "AGENTRY_REDIS_URL",
  "AGENTRY_REDIS_SENTINELS",
  "AGENTRY_REDIS_SENTINEL_MASTER",
  "AGENTRY_REDIS_SENTINEL_PASSWORD",
  "AGENTRY_REDIS_CLUSTER_NODES",
  "AGENTRY_REDIS_USERNAME",
  "AGENTRY_REDIS_PASSWORD",
  "AGENTRY_REDIS_TLS",
  "AGENTRY_REDIS_WAIT_REPLICAS",
  "AGENTRY_REDIS_KEY_PREFIX",
  "AGENTRY_MEMORY_TTL_SECONDS",
  "AGENTRY_MEMORY_MAX_HISTORY_MESSAGES",
  "AGENTRY_MEMORY_MAX_HISTORY_BYTES",
  "AGENTRY_MEMORY_MAX_MESSAGE_BYTES",
  "AGENTRY_MEMORY_MAX_SESSIONS_PER_CALLER",
  "AGENTRY_CACHE_TTL_SECONDS",
  "AGENTRY_CACHE_SHARED",
  "AGENTRY_TOOLS",
  "AGENTRY_TOOL_TIMEOUT_SECONDS",
  "AGENTRY_TOOL_ERROR_EXCERPT_CHARS",
  "AGENTRY_MAX_TOOL_ROUNDS",
  "AGENTRY_MAX_TOOL_CALLS_PER_ROUND",
  "AGENTRY_MAX_TOOL_CALLS_PER_TURN",
  "AGENTRY_TOOL_CONCURRENCY",
  "AGENTRY_AUTH_MODE",
  "AGENTRY_API_KEYS",
  "AGENTRY_JWT_SECRET",
  "AGENTRY_JWT_JWKS_URL",
  "AGENTRY_JWT_ISSUER",
  "AGENTRY_JWT_AUDIENCE",
  "AGENTRY_JWT_SUBJECT_CLAIM",
  "AGENTRY_JWT_ROLES_CLAIM",
  "AGENTRY_AUTH_ROUTE_ROLES",
  "AGENTRY_RATE_LIMIT_RPM",
  "AGENTRY_RATE_LIMIT_BURST",
  "AGENTRY_AUTH_FAILURES_PER_MINUTE",
  "AGENTRY_AUTH_FAILURE_BURST",
  "AGENTRY_RATE_LIMIT_KEY",
  "AGENTRY_REVISION",
  "AGENTRY_AGENT",
  "AGENTRY_HOST",
  "AGENTRY_PORT",
  "AGENTRY_MAX_BODY_BYTES",
  "AGENTRY_REQUEST_TIMEOUT_SECONDS",
  "AGENTRY_MAX_CONCURRENT_TURNS",
  "AGENTRY_MAX_CONCURRENT_TURNS_PER_CALLER",
  "AGENTRY_TURN_DEADLINE_SECONDS",
  "AGENTRY_LOG_LEVEL",
  "AGENTRY_LOG_CONTENT",
  "AGENTRY_SHUTDOWN_DEADLINE_SECONDS",
] as const;

export type RuntimeEnvName = (typeof RUNTIME_ENV_NAMES)[number];

/** Variables whose values are secrets: the operator sources them from Secrets, logs redact them. */
export const SECRET_ENV_VARS: readonly RuntimeEnvName[] = [
  "AGENTRY_PROVIDER_API_KEY",
  "AGENTRY_API_KEYS",
  "AGENTRY_JWT_SECRET",
  "AGENTRY_REDIS_URL",
  "AGENTRY_REDIS_SENTINEL_PASSWORD",
  "AGENTRY_REDIS_PASSWORD",
];

/**
 * `AGENTRY_TOOL_CREDENTIAL_<index>`: the bearer credential of the tool at that index of
 * AGENTRY_TOOLS (from a Secret; its first comma- or space-separated token is sent).
 */
export const TOOL_CREDENTIAL_ENV_PREFIX = "AGENTRY_TOOL_CREDENTIAL_";

/** One entry of a list variable (AGENTRY_API_KEYS, AGENTRY_REDIS_SENTINELS, ...): split on commas and spaces. */
export function splitEnvList(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((entry) => entry.length > 0);
}

export interface HostPort {
  host: string;
  port: number;
}

/** One entry of a host:port list; IPv6 hosts in brackets. */
export const HOST_PORT_ENTRY = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):[0-9]{1,5}$/;

/** "host:port,host:port", IPv6 addresses in brackets (AGENTRY_REDIS_SENTINELS, AGENTRY_REDIS_CLUSTER_NODES). */
export function formatHostPortList(endpoints: readonly HostPort[]): string {
  return endpoints.map(({ host, port }) => `${host.includes(":") ? `[${host}]` : host}:${port}`).join(",");
}

/** The inverse of formatHostPortList for one entry that matches HOST_PORT_ENTRY. */
export function parseHostPort(entry: string): HostPort {
  const colon = entry.lastIndexOf(":");
  return { host: entry.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port: Number(entry.slice(colon + 1)) };
}

/** One entry of AGENTRY_TOOLS (a JSON array): a tool the model may call. */
export interface ToolEnvEntry {
  name: string;
  description?: string;
  /** http(s) URL the runtime POSTs the call's arguments to. */
  url: string;
  /**
   * `http`: POST the arguments object as JSON, feed the response body back to the model.
   * `agent`: the URL is another agent's `/v1/chat`; POST `{message}` and feed back its answer.
   */
  kind?: "http" | "agent";
  /** JSON schema of the arguments. */
  parameters?: Record<string, unknown>;
  timeoutSeconds?: number;
  /** `${TOOL_CREDENTIAL_ENV_PREFIX}<n>`: the variable holding this tool's bearer credential. */
  credentialEnv?: string;
}
