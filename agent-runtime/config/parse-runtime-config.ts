/** The environment -> RuntimeConfig, every problem reported at once. */
import type { z } from "zod";
import { RUNTIME_ENV_NAMES, type RuntimeEnvName } from "../contract/runtime-env.ts";
import { PROXY_ENV_VARS, proxyEnvSchema, runtimeEnvSchema, type ToolDefinition } from "./env-schema.ts";
import {
  type AuthConfig,
  ConfigError,
  type RedisConnectionConfig,
  type RuntimeConfig,
} from "./runtime-config.ts";

function pickRuntimeEnv(env: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of RUNTIME_ENV_NAMES) {
    const value = env[name];
    if (value !== undefined && value !== "") picked[name] = value;
  }
  return picked;
}

function pickProxyEnv(env: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of PROXY_ENV_VARS) {
    const value = env[name.toLowerCase()] || env[name];
    if (value) picked[name] = value;
  }
  return picked;
}

/**
 * Rules between variables. They read the raw strings, so they are reported together with the
 * per-variable problems instead of only after those are fixed.
 */
function crossFieldProblems(env: Record<string, string>): string[] {
  const problems: string[] = [];
  const mode = env.AGENTRY_AUTH_MODE ?? "none";
  const hasRedis = REDIS_MODE_VARS.some((name) => env[name] !== undefined);
  problems.push(...redisModeProblems(env));
  if (mode === "apiKey" && !env.AGENTRY_API_KEYS) {
    problems.push("AGENTRY_API_KEYS: required when AGENTRY_AUTH_MODE=apiKey");
  }
  if (mode === "jwt" && !env.AGENTRY_JWT_SECRET === !env.AGENTRY_JWT_JWKS_URL) {
    problems.push(
      "AGENTRY_JWT_SECRET / AGENTRY_JWT_JWKS_URL: exactly one is required when AGENTRY_AUTH_MODE=jwt",
    );
  }
  if (Number(env.AGENTRY_RATE_LIMIT_RPM ?? 0) > 0 && !hasRedis) {
    problems.push(
      "AGENTRY_REDIS_URL / AGENTRY_REDIS_SENTINELS / AGENTRY_REDIS_CLUSTER_NODES: one is required when AGENTRY_RATE_LIMIT_RPM > 0 (limits are shared across replicas)",
    );
  }
  if (Number(env.AGENTRY_CACHE_TTL_SECONDS ?? 0) > 0 && !hasRedis) {
    problems.push(
      "AGENTRY_REDIS_URL / AGENTRY_REDIS_SENTINELS / AGENTRY_REDIS_CLUSTER_NODES: one is required when AGENTRY_CACHE_TTL_SECONDS > 0",
    );
  }
  return [...problems, ...providerProblems(env)];
}

function providerProblems(env: Record<string, string>): string[] {
  const azureVariables = ["AGENTRY_PROVIDER_AZURE_DEPLOYMENT", "AGENTRY_PROVIDER_AZURE_API_VERSION"] as const;
  if (env.AGENTRY_PROVIDER_TYPE !== "azure") {
    return azureVariables
      .filter((name) => env[name] !== undefined)
      .map((name) => `${name}: only used when AGENTRY_PROVIDER_TYPE=azure`);
  }
  const problems = azureVariables
    .filter((name) => env[name] === undefined)
    .map((name) => `${name}: required when AGENTRY_PROVIDER_TYPE=azure`);
  if (env.AGENTRY_PROVIDER_BASE_URL === undefined) {
    problems.push(
      "AGENTRY_PROVIDER_BASE_URL: required when AGENTRY_PROVIDER_TYPE=azure (the resource endpoint, https://NAME.openai.azure.com)",
    );
  }
  return problems;
}

/** The variables that choose the Redis mode: one server, Sentinel or Cluster. */
const REDIS_MODE_VARS = [
  "AGENTRY_REDIS_URL",
  "AGENTRY_REDIS_SENTINELS",
  "AGENTRY_REDIS_CLUSTER_NODES",
] as const;

/** One Redis mode at most, and each mode's settings only with it. */
function redisModeProblems(env: Record<string, string>): string[] {
  const problems: string[] = [];
  const set = (name: RuntimeEnvName) => env[name] !== undefined;
  const modes = REDIS_MODE_VARS.filter(set);
  if (modes.length > 1) problems.push(`${modes.join(" / ")}: set at most one (the Redis mode)`);
  if (set("AGENTRY_REDIS_SENTINELS") !== set("AGENTRY_REDIS_SENTINEL_MASTER")) {
    problems.push("AGENTRY_REDIS_SENTINELS / AGENTRY_REDIS_SENTINEL_MASTER: Sentinel mode needs both");
  }
  if (set("AGENTRY_REDIS_SENTINEL_PASSWORD") && !set("AGENTRY_REDIS_SENTINELS")) {
    problems.push("AGENTRY_REDIS_SENTINEL_PASSWORD: only used in Sentinel mode (AGENTRY_REDIS_SENTINELS)");
  }
  if (set("AGENTRY_REDIS_URL")) {
    for (const name of ["AGENTRY_REDIS_USERNAME", "AGENTRY_REDIS_PASSWORD", "AGENTRY_REDIS_TLS"] as const) {
      if (set(name)) problems.push(`${name}: not used with AGENTRY_REDIS_URL; put it in the URL`);
    }
  }
  return problems;
}

function redisConnectionOf(e: z.infer<typeof runtimeEnvSchema>): RedisConnectionConfig | undefined {
  const credentials = {
    username: e.AGENTRY_REDIS_USERNAME,
    password: e.AGENTRY_REDIS_PASSWORD,
    tls: e.AGENTRY_REDIS_TLS,
  };
  if (e.AGENTRY_REDIS_URL) return { mode: "standalone", url: e.AGENTRY_REDIS_URL };
  if (e.AGENTRY_REDIS_SENTINELS && e.AGENTRY_REDIS_SENTINEL_MASTER) {
    return {
      mode: "sentinel",
      masterName: e.AGENTRY_REDIS_SENTINEL_MASTER,
      sentinels: e.AGENTRY_REDIS_SENTINELS,
      sentinelPassword: e.AGENTRY_REDIS_SENTINEL_PASSWORD,
      ...credentials,
    };
  }
  if (e.AGENTRY_REDIS_CLUSTER_NODES)
    return { mode: "cluster", nodes: e.AGENTRY_REDIS_CLUSTER_NODES, ...credentials };
  return undefined;
}

/** Reads each tool's credential variable; an unset or empty one is a problem, never a silent skip. */
function withCredentials(
  tools: ToolDefinition[],
  env: Record<string, string | undefined>,
  problems: string[],
): ToolDefinition[] {
  return tools.map((tool) => {
    if (!tool.credentialEnv) return tool;
    const [credential] = (env[tool.credentialEnv] ?? "").split(/[\s,]+/).filter(Boolean);
    if (!credential)
      problems.push(`${tool.credentialEnv}: the credential of tool "${tool.name}" is unset or empty`);
    return { ...tool, credential };
  });
}

/** Parses and validates the environment; throws `ConfigError` listing every problem at once. */
export function parseRuntimeConfig(env: Record<string, string | undefined>): RuntimeConfig {
  const raw = pickRuntimeEnv(env);
  const parsed = runtimeEnvSchema.safeParse(raw);
  const proxy = proxyEnvSchema.safeParse(pickProxyEnv(env));
  const problems = [
    ...[...(parsed.error?.issues ?? []), ...(proxy.error?.issues ?? [])].map((issue) => {
      const [name, ...rest] = issue.path.map(String);
      const where = rest.length > 0 ? `${name} (${rest.join(".")})` : (name ?? "environment");
      return `${where}: ${issue.message}`;
    }),
    ...crossFieldProblems(raw),
  ];
  const tools = withCredentials(parsed.data?.AGENTRY_TOOLS ?? [], env, problems);
  if (!parsed.success || !proxy.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;

  const rpm = e.AGENTRY_RATE_LIMIT_RPM;
  return {
    revision: e.AGENTRY_REVISION,
    agent: e.AGENTRY_AGENT,
    server: {
      host: e.AGENTRY_HOST,
      port: e.AGENTRY_PORT,
      bodyLimitBytes: e.AGENTRY_MAX_BODY_BYTES,
      shutdownDeadlineMs: e.AGENTRY_SHUTDOWN_DEADLINE_SECONDS * 1000,
      requestTimeoutMs: e.AGENTRY_REQUEST_TIMEOUT_SECONDS * 1000,
    },
    turns: {
      maxConcurrent: e.AGENTRY_MAX_CONCURRENT_TURNS,
      maxConcurrentPerCaller: e.AGENTRY_MAX_CONCURRENT_TURNS_PER_CALLER,
      deadlineMs: e.AGENTRY_TURN_DEADLINE_SECONDS * 1000,
    },
    log: { level: e.AGENTRY_LOG_LEVEL, content: e.AGENTRY_LOG_CONTENT },
    model: {
      name: e.AGENTRY_MODEL,
      temperature: e.AGENTRY_TEMPERATURE,
      maxTokens: e.AGENTRY_MAX_TOKENS,
      systemPrompt: e.AGENTRY_SYSTEM_PROMPT,
    },
    passthrough: {
      maxN: e.AGENTRY_PASSTHROUGH_MAX_N,
      allowTemperature: e.AGENTRY_PASSTHROUGH_ALLOW_TEMPERATURE,
      allowTools: e.AGENTRY_PASSTHROUGH_ALLOW_TOOLS,
    },
    provider: {
      type: e.AGENTRY_PROVIDER_TYPE,
      baseURL: e.AGENTRY_PROVIDER_BASE_URL.replace(/\/+$/, ""),
      apiKey: e.AGENTRY_PROVIDER_API_KEY,
      azure:
        e.AGENTRY_PROVIDER_AZURE_DEPLOYMENT && e.AGENTRY_PROVIDER_AZURE_API_VERSION
          ? {
              deployment: e.AGENTRY_PROVIDER_AZURE_DEPLOYMENT,
              apiVersion: e.AGENTRY_PROVIDER_AZURE_API_VERSION,
            }
          : undefined,
      timeoutMs: e.AGENTRY_PROVIDER_TIMEOUT_SECONDS * 1000,
      maxRetries: e.AGENTRY_PROVIDER_MAX_RETRIES,
      maxConnections: e.AGENTRY_PROVIDER_MAX_CONNECTIONS,
      maxResponseBytes: e.AGENTRY_PROVIDER_MAX_RESPONSE_BYTES,
      proxy: {
        httpProxy: proxy.data.HTTP_PROXY,
        httpsProxy: proxy.data.HTTPS_PROXY,
        noProxy: proxy.data.NO_PROXY,
      },
      breaker: {
        failureThreshold: e.AGENTRY_BREAKER_FAILURE_THRESHOLD,
        cooldownMs: e.AGENTRY_BREAKER_COOLDOWN_SECONDS * 1000,
      },
      readinessCheck: e.AGENTRY_READYZ_CHECK_MODEL,
    },
    redis: {
      connection: redisConnectionOf(e),
      keyPrefix: e.AGENTRY_REDIS_KEY_PREFIX,
      waitReplicas: e.AGENTRY_REDIS_WAIT_REPLICAS,
    },
    memory: {
      ttlSeconds: e.AGENTRY_MEMORY_TTL_SECONDS,
      maxHistoryMessages: e.AGENTRY_MEMORY_MAX_HISTORY_MESSAGES,
      maxHistoryBytes: e.AGENTRY_MEMORY_MAX_HISTORY_BYTES,
      maxMessageBytes: e.AGENTRY_MEMORY_MAX_MESSAGE_BYTES,
      maxSessionsPerCaller: e.AGENTRY_MEMORY_MAX_SESSIONS_PER_CALLER,
    },
    cache: { ttlSeconds: e.AGENTRY_CACHE_TTL_SECONDS, shared: e.AGENTRY_CACHE_SHARED },
    tools: {
      definitions: tools,
      maxRounds: e.AGENTRY_MAX_TOOL_ROUNDS,
      maxCallsPerRound: e.AGENTRY_MAX_TOOL_CALLS_PER_ROUND,
      maxCallsPerTurn: e.AGENTRY_MAX_TOOL_CALLS_PER_TURN,
      concurrency: e.AGENTRY_TOOL_CONCURRENCY,
      defaultTimeoutMs: e.AGENTRY_TOOL_TIMEOUT_SECONDS * 1000,
      errorExcerptChars: e.AGENTRY_TOOL_ERROR_EXCERPT_CHARS,
    },
    auth: authConfigOf(e),
    authFailureLimit:
      e.AGENTRY_AUTH_MODE !== "none" && e.AGENTRY_AUTH_FAILURES_PER_MINUTE > 0
        ? { failuresPerMinute: e.AGENTRY_AUTH_FAILURES_PER_MINUTE, burst: e.AGENTRY_AUTH_FAILURE_BURST }
        : undefined,
    rateLimit:
      rpm > 0
        ? { requestsPerMinute: rpm, burst: e.AGENTRY_RATE_LIMIT_BURST ?? rpm, key: e.AGENTRY_RATE_LIMIT_KEY }
        : undefined,
  };
}

function authConfigOf(e: z.infer<typeof runtimeEnvSchema>): AuthConfig {
  switch (e.AGENTRY_AUTH_MODE) {
    case "none":
      return { mode: "none" };
    case "apiKey":
      return { mode: "apiKey", keys: e.AGENTRY_API_KEYS ?? [] };
    case "jwt":
      return {
        mode: "jwt",
        secret: e.AGENTRY_JWT_SECRET,
        jwksUrl: e.AGENTRY_JWT_JWKS_URL,
        issuer: e.AGENTRY_JWT_ISSUER,
        audience: e.AGENTRY_JWT_AUDIENCE,
        rolesClaim: e.AGENTRY_JWT_ROLES_CLAIM,
        subjectClaim: e.AGENTRY_JWT_SUBJECT_CLAIM,
        routeRoles: e.AGENTRY_AUTH_ROUTE_ROLES ?? {},
      };
  }
}
