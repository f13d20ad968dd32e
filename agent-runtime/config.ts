/**
 * The runtime's environment-variable contract.
 *
 * The operator builds the runtime Deployment's `env` from this file, so every variable is declared
 * once here with a description, a type and a default. The runtime parses the environment exactly
 * once, at start-up (`parseRuntimeConfig`), and hands the typed `RuntimeConfig` to everything else.
 *
 * Empty strings count as "not set": the operator maps optional Secret/ConfigMap keys to env vars,
 * and an absent optional key arrives as "".
 */
import { z } from "zod";

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const positiveSeconds = z.coerce.number().positive();
const flag = z.stringbool();

const tokenList = z
  .string()
  .transform((raw) => raw.split(/[\s,]+/).filter((entry) => entry.length > 0))
  .pipe(z.array(z.string().min(16, "API keys must be at least 16 characters")).min(1));

/** "host:port, host:port" (IPv6 hosts in brackets) -> endpoints. */
const endpointList = z
  .string()
  .transform((raw) => raw.split(/[\s,]+/).filter((entry) => entry.length > 0))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):[0-9]{1,5}$/, "each entry is host:port")
          .transform((entry): RedisEndpoint => {
            const colon = entry.lastIndexOf(":");
            return {
              host: entry.slice(0, colon).replace(/^\[(.*)\]$/, "$1"),
              port: Number(entry.slice(colon + 1)),
            };
          })
          .refine((endpoint) => endpoint.port > 0 && endpoint.port < 65_536, "ports are 1-65535"),
      )
      .min(1),
  );

function jsonOf<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `not valid JSON: ${(error as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/**
 * `AGENTRY_TOOL_CREDENTIAL_<index>`: the bearer credential of the tool at that index of
 * AGENTRY_TOOLS (from a Secret; its first comma- or space-separated token is sent).
 */
export const TOOL_CREDENTIAL_ENV_PREFIX = "AGENTRY_TOOL_CREDENTIAL_";

/** One tool the model may call; the runtime POSTs the call's arguments to `url`. */
export const toolDefinitionSchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "tool names are 1-64 letters, digits, '_' or '-' (OpenAI's rule)"),
  description: z.string().max(1024).optional(),
  url: z.url({ protocol: /^https?$/ }),
  /**
   * `http`: POST the arguments object as JSON, feed the response body back to the model.
   * `agent`: the URL is another agent's `/v1/chat`; POST `{message}` and feed back its answer.
   */
  kind: z.enum(["http", "agent"]).default("http"),
  parameters: z.record(z.string(), z.unknown()).default({ type: "object", properties: {} }),
  timeoutSeconds: positiveSeconds.optional(),
  /** The variable holding the bearer credential sent on this tool's calls only. */
  credentialEnv: z
    .string()
    .regex(new RegExp(`^${TOOL_CREDENTIAL_ENV_PREFIX}\\d+$`), `must be ${TOOL_CREDENTIAL_ENV_PREFIX}<n>`)
    .optional(),
});
export type ToolDefinition = z.infer<typeof toolDefinitionSchema> & {
  /** Resolved from `credentialEnv` at start-up; sent as `Authorization: Bearer`. */
  credential?: string;
};

/** Route path -> roles; a JWT must carry at least one of them to call that route. */
const routeRolesSchema = z.record(z.string().startsWith("/"), z.array(z.string().min(1)).min(1));

export const runtimeEnvSchema = z.object({
  AGENTRY_MODEL: z.string().min(1).describe("Model name sent to the provider, e.g. gpt-4o-mini."),
  AGENTRY_TEMPERATURE: z.coerce
    .number()
    .min(0)
    .max(2)
    .optional()
    .describe("Sampling temperature; unset leaves the provider's default. 0 makes /v1/chat cacheable."),
  AGENTRY_MAX_TOKENS: positiveInt
    .optional()
    .describe("max_tokens for each model call; unset = provider default."),
  AGENTRY_PASSTHROUGH_MAX_N: positiveInt
    .default(1)
    .describe(
      "Most completions (`n`) a /v1/chat/completions request may ask for; larger values are lowered.",
    ),
  AGENTRY_PASSTHROUGH_ALLOW_TEMPERATURE: flag
    .default(false)
    .describe(
      "Let /v1/chat/completions clients choose temperature; off = the agent's AGENTRY_TEMPERATURE wins when set.",
    ),
  AGENTRY_PASSTHROUGH_ALLOW_TOOLS: flag
    .default(true)
    .describe("Let /v1/chat/completions clients send their own tools (the client runs them); off = 400."),
  AGENTRY_SYSTEM_PROMPT: z
    .string()
    .optional()
    .describe("System prompt text (the operator fills it from the spec or a ConfigMap/Secret key)."),
  AGENTRY_PROVIDER_TYPE: z
    .enum(["openai", "azure"])
    .default("openai")
    .describe(
      "openai (any OpenAI-compatible API, key as Bearer token) | azure (Azure OpenAI: deployment path, api-version, api-key header).",
    ),
  AGENTRY_PROVIDER_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .default("https://api.openai.com/v1")
    .describe(
      "Base URL of any OpenAI-compatible API, including the /v1 suffix; for azure the resource endpoint (https://NAME.openai.azure.com).",
    ),
  AGENTRY_PROVIDER_API_KEY: z
    .string()
    .optional()
    .describe("API key for the provider (from a Secret): a Bearer token, or Azure's api-key header."),
  AGENTRY_PROVIDER_AZURE_DEPLOYMENT: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
      "Azure deployment names are 1-64 letters, digits, '.', '_' or '-'",
    )
    .optional()
    .describe("Azure OpenAI deployment name (required with AGENTRY_PROVIDER_TYPE=azure)."),
  AGENTRY_PROVIDER_AZURE_API_VERSION: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, "Azure API versions look like 2024-10-21 or 2025-01-01-preview")
    .optional()
    .describe("Azure OpenAI api-version query parameter (required with AGENTRY_PROVIDER_TYPE=azure)."),
  AGENTRY_PROVIDER_MAX_CONNECTIONS: positiveInt
    .max(10_000)
    .default(64)
    .describe("Connections kept open to the model endpoint; further calls wait for a free one."),
  AGENTRY_PROVIDER_MAX_RESPONSE_BYTES: positiveInt
    .default(10_485_760)
    .describe(
      "Largest model answer read (after decompression), streamed or not; a larger one fails with 502.",
    ),
  AGENTRY_PROVIDER_TIMEOUT_SECONDS: positiveSeconds
    .default(60)
    .describe("Timeout of one model call attempt."),
  AGENTRY_PROVIDER_MAX_RETRIES: nonNegativeInt
    .max(10)
    .default(2)
    .describe(
      "Retries on 429/5xx/connection errors, with exponential backoff and jitter, honouring Retry-After.",
    ),
  AGENTRY_BREAKER_FAILURE_THRESHOLD: positiveInt
    .default(5)
    .describe("Consecutive failed model calls (after retries) that open the circuit breaker."),
  AGENTRY_BREAKER_COOLDOWN_SECONDS: positiveSeconds
    .default(30)
    .describe("How long the breaker stays open before one trial call is let through."),
  AGENTRY_READYZ_CHECK_MODEL: flag
    .default(true)
    .describe("Whether /readyz checks that the model endpoint answers (GET /models, no tokens spent)."),
  AGENTRY_REDIS_URL: z
    .url({ protocol: /^rediss?$/ })
    .optional()
    .describe(
      "redis:// or rediss:// URL of one Redis server; sessions, rate limits and the response cache live there.",
    ),
  AGENTRY_REDIS_SENTINELS: endpointList
    .optional()
    .describe("Sentinel mode: the sentinels as host:port, separated by commas or whitespace."),
  AGENTRY_REDIS_SENTINEL_MASTER: z
    .string()
    .optional()
    .describe("Sentinel mode: the name of the master group the sentinels monitor."),
  AGENTRY_REDIS_SENTINEL_PASSWORD: z
    .string()
    .optional()
    .describe("Sentinel mode: password of the sentinels themselves (their requirepass)."),
  AGENTRY_REDIS_CLUSTER_NODES: endpointList
    .optional()
    .describe("Cluster mode: seed nodes of a Redis Cluster as host:port, separated by commas or whitespace."),
  AGENTRY_REDIS_USERNAME: z
    .string()
    .optional()
    .describe("Sentinel and Cluster modes: ACL user of the Redis servers (a URL carries its own)."),
  AGENTRY_REDIS_PASSWORD: z
    .string()
    .optional()
    .describe("Sentinel and Cluster modes: password of the Redis servers (a URL carries its own)."),
  AGENTRY_REDIS_TLS: flag
    .default(false)
    .describe("Sentinel and Cluster modes: connect with TLS (to the sentinels too); a URL says rediss://."),
  AGENTRY_REDIS_WAIT_REPLICAS: nonNegativeInt
    .max(16)
    .default(0)
    .describe(
      "Replicas that must confirm a session write (Redis WAIT) before the turn is answered; 0 does not wait.",
    ),
  AGENTRY_REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[^{}]*$/, "must not contain { or }: the runtime puts its own hash tags in keys")
    .default("agentry:")
    .describe("Prefix of every Redis key; the operator sets one per agent (agentry:NAMESPACE/NAME:)."),
  AGENTRY_MEMORY_TTL_SECONDS: positiveInt
    .default(86_400)
    .describe("Session expiry, refreshed on every turn."),
  AGENTRY_MEMORY_MAX_HISTORY_MESSAGES: positiveInt
    .default(50)
    .describe("Messages kept per session; older ones are trimmed."),
  AGENTRY_MEMORY_MAX_HISTORY_BYTES: positiveInt
    .default(262_144)
    .describe("Bytes of history kept per session (as stored JSON); older messages are trimmed."),
  AGENTRY_MEMORY_MAX_MESSAGE_BYTES: positiveInt
    .default(32_768)
    .describe(
      "Largest user message a session turn accepts (larger ones get 400); longer answers are stored cut to it.",
    ),
  AGENTRY_MEMORY_MAX_SESSIONS_PER_CALLER: positiveInt
    .default(100)
    .describe("Live sessions one authenticated caller may have; a new one beyond it gets 429."),
  AGENTRY_CACHE_TTL_SECONDS: nonNegativeInt
    .default(0)
    .describe("Response cache TTL for deterministic requests; 0 turns the cache off."),
  AGENTRY_TOOLS: jsonOf(
    z
      .array(toolDefinitionSchema)
      .refine(
        (tools) => new Set(tools.map((tool) => tool.name)).size === tools.length,
        "tool names must be unique",
      ),
  )
    .optional()
    .describe(
      "JSON array of tools: {name, description?, url, kind?: http|agent, parameters?, timeoutSeconds?, credentialEnv?}.",
    ),
  AGENTRY_TOOL_TIMEOUT_SECONDS: positiveSeconds.default(10).describe("Default timeout of one tool call."),
  AGENTRY_TOOL_ERROR_EXCERPT_CHARS: nonNegativeInt
    .max(16_384)
    .default(200)
    .describe(
      "Characters of a failed tool's answer shown to the model (secrets redacted); 0 shows the status only.",
    ),
  AGENTRY_MAX_TOOL_ROUNDS: positiveInt
    .max(20)
    .default(5)
    .describe("Model/tool round trips per turn; after the last one the model must answer without tools."),
  AGENTRY_AUTH_MODE: z.enum(["none", "apiKey", "jwt"]).default("none").describe("none | apiKey | jwt."),
  AGENTRY_API_KEYS: tokenList
    .optional()
    .describe("API keys accepted in apiKey mode, separated by commas or whitespace (from a Secret)."),
  AGENTRY_JWT_SECRET: z.string().min(32).optional().describe("HS256 secret (>= 32 bytes) in jwt mode."),
  AGENTRY_JWT_JWKS_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe("JWKS URL for asymmetric tokens (RS*, PS*, ES*, EdDSA) in jwt mode."),
  AGENTRY_JWT_ISSUER: z.string().optional().describe("Required `iss` claim, when set."),
  AGENTRY_JWT_AUDIENCE: z.string().optional().describe("Required `aud` claim, when set."),
  AGENTRY_JWT_SUBJECT_CLAIM: z
    .string()
    .min(1)
    .default("sub")
    .describe(
      "Claim naming the caller (sessions and rate limits are per caller); tokens without it get 401.",
    ),
  AGENTRY_JWT_ROLES_CLAIM: z
    .string()
    .default("roles")
    .describe("Claim holding the caller's roles (dotted path; array or space-separated string)."),
  AGENTRY_AUTH_ROUTE_ROLES: jsonOf(routeRolesSchema)
    .optional()
    .describe('JSON {"/v1/chat": ["chat"]}: a JWT needs one of the listed roles to call the route.'),
  AGENTRY_RATE_LIMIT_RPM: nonNegativeInt
    .default(0)
    .describe("Requests per minute per key, across all replicas (Redis); 0 turns rate limiting off."),
  AGENTRY_RATE_LIMIT_BURST: positiveInt.optional().describe("Bucket size; defaults to the per-minute rate."),
  AGENTRY_AUTH_FAILURES_PER_MINUTE: nonNegativeInt
    .default(10)
    .describe(
      "Failed authentications per minute allowed from one client address (per replica) before it gets 429; 0 turns this off.",
    ),
  AGENTRY_AUTH_FAILURE_BURST: positiveInt
    .default(20)
    .describe("Failed authentications one client address may make in a burst."),
  AGENTRY_RATE_LIMIT_KEY: z
    .enum(["client", "ip", "global"])
    .default("client")
    .describe("client (API key / JWT subject, else IP) | ip | global."),
  AGENTRY_REVISION: z
    .string()
    .min(1)
    .default("dev")
    .describe("Revision label on every metric; the operator sets the pod template hash."),
  AGENTRY_AGENT: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Agent label on every metric (the AgentDeployment's name), which canary analysis selects on; the operator sets it from the pod's agentry.dev/agent label.",
    ),
  AGENTRY_HOST: z.string().default("0.0.0.0").describe("Listen address."),
  AGENTRY_PORT: z.coerce.number().int().min(0).max(65_535).default(8080).describe("Listen port."),
  AGENTRY_MAX_BODY_BYTES: positiveInt
    .default(1_048_576)
    .describe("Request body limit; larger bodies get 413."),
  AGENTRY_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .describe("pino log level."),
  AGENTRY_LOG_CONTENT: flag
    .default(false)
    .describe("Log message text and model answers; off by default (content is redacted)."),
  AGENTRY_SHUTDOWN_DEADLINE_SECONDS: positiveSeconds
    .default(25)
    .describe(
      "On SIGTERM, in-flight requests get this long to finish (keep below terminationGracePeriodSeconds).",
    ),
});

export type RuntimeEnvName = keyof typeof runtimeEnvSchema.shape;

const proxyURL = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// proxy URL" });

/**
 * The standard proxy variables, read for model calls (curl's names; the lower-case spelling wins,
 * as in curl and undici). They are not part of the AGENTRY_ contract: users set them in spec.env.
 */
const proxyEnvSchema = z.object({
  HTTP_PROXY: proxyURL.optional(),
  HTTPS_PROXY: proxyURL.optional(),
  NO_PROXY: z.string().optional(),
});
const PROXY_ENV_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"] as const;

export type ProxyConfig = {
  httpProxy: string | undefined;
  httpsProxy: string | undefined;
  noProxy: string | undefined;
};

/** Every variable the runtime reads; nothing else in the process environment is consulted. */
export const RUNTIME_ENV_VARS = Object.keys(runtimeEnvSchema.shape) as RuntimeEnvName[];

/** Paths and the default port the operator wires probes, Services and scrapes to. */
export const RUNTIME_ENDPOINTS = {
  defaultPort: 8080,
  livez: "/livez",
  readyz: "/readyz",
  metrics: "/metrics",
  chat: "/v1/chat",
  chatCompletions: "/v1/chat/completions",
} as const;

/** Variables whose values are secrets: the operator should source them from Secrets, logs redact them. */
export const SECRET_ENV_VARS: readonly RuntimeEnvName[] = [
  "AGENTRY_PROVIDER_API_KEY",
  "AGENTRY_API_KEYS",
  "AGENTRY_JWT_SECRET",
  "AGENTRY_REDIS_URL",
  "AGENTRY_REDIS_SENTINEL_PASSWORD",
  "AGENTRY_REDIS_PASSWORD",
];

export type AuthConfig =
  | { mode: "none" }
  | { mode: "apiKey"; keys: string[] }
  | {
      mode: "jwt";
      secret: string | undefined;
      jwksUrl: string | undefined;
      issuer: string | undefined;
      audience: string | undefined;
      rolesClaim: string;
      subjectClaim: string;
      routeRoles: Record<string, string[]>;
    };

export type RedisEndpoint = { host: string; port: number };

/** How to reach Redis: one server by URL, a Sentinel-managed master, or a Cluster. */
export type RedisConnectionConfig =
  | { mode: "standalone"; url: string }
  | {
      mode: "sentinel";
      masterName: string;
      sentinels: RedisEndpoint[];
      sentinelPassword: string | undefined;
      username: string | undefined;
      password: string | undefined;
      tls: boolean;
    }
  | {
      mode: "cluster";
      nodes: RedisEndpoint[];
      username: string | undefined;
      password: string | undefined;
      tls: boolean;
    };

export type RedisConfig = {
  connection: RedisConnectionConfig | undefined;
  keyPrefix: string;
  /** Replicas a session write must reach (WAIT) before the turn is answered. */
  waitReplicas: number;
};

export type AuthFailureLimitConfig = { failuresPerMinute: number; burst: number };

export type RateLimitConfig = { requestsPerMinute: number; burst: number; key: "client" | "ip" | "global" };

export type RuntimeConfig = {
  revision: string;
  /** The `agent` label of every metric, when known. */
  agent: string | undefined;
  server: { host: string; port: number; bodyLimitBytes: number; shutdownDeadlineMs: number };
  log: { level: string; content: boolean };
  model: {
    name: string;
    temperature: number | undefined;
    maxTokens: number | undefined;
    systemPrompt: string | undefined;
  };
  /** What the agent lets a /v1/chat/completions client choose. */
  passthrough: { maxN: number; allowTemperature: boolean; allowTools: boolean };
  provider: {
    type: "openai" | "azure";
    baseURL: string;
    apiKey: string | undefined;
    azure: { deployment: string; apiVersion: string } | undefined;
    timeoutMs: number;
    maxRetries: number;
    maxConnections: number;
    maxResponseBytes: number;
    proxy: ProxyConfig;
    breaker: { failureThreshold: number; cooldownMs: number };
    readinessCheck: boolean;
  };
  redis: RedisConfig;
  memory: {
    ttlSeconds: number;
    maxHistoryMessages: number;
    maxHistoryBytes: number;
    maxMessageBytes: number;
    maxSessionsPerCaller: number;
  };
  cache: { ttlSeconds: number };
  tools: {
    definitions: ToolDefinition[];
    maxRounds: number;
    defaultTimeoutMs: number;
    /** Characters of a failed tool's answer shown to the model. */
    errorExcerptChars: number;
  };
  auth: AuthConfig;
  /** Per client address, for failed authentication; unset without auth or when turned off. */
  authFailureLimit: AuthFailureLimitConfig | undefined;
  rateLimit: RateLimitConfig | undefined;
};

/** Thrown when the environment is invalid; `problems` lists every problem, not just the first. */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid runtime configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

function pickRuntimeEnv(env: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of RUNTIME_ENV_VARS) {
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
    cache: { ttlSeconds: e.AGENTRY_CACHE_TTL_SECONDS },
    tools: {
      definitions: tools,
      maxRounds: e.AGENTRY_MAX_TOOL_ROUNDS,
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
