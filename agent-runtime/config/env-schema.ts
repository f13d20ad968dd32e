/**
 * The runtime's environment as zod schemas: for each variable of the contract
 * (contract/runtime-env.ts) its type, default and description. Parsed exactly once, at start-up,
 * by parseRuntimeConfig.
 */
import { z } from "zod";
import { RUNTIME_ENDPOINTS } from "../contract/endpoints.ts";
import {
  HOST_PORT_ENTRY,
  parseHostPort,
  type RuntimeEnvName,
  splitEnvList,
  TOOL_CREDENTIAL_ENV_PREFIX,
  type ToolEnvEntry,
} from "../contract/runtime-env.ts";

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const positiveSeconds = z.coerce.number().positive();
const flag = z.stringbool();

const tokenList = z
  .string()
  .transform(splitEnvList)
  .pipe(z.array(z.string().min(16, "API keys must be at least 16 characters")).min(1));

/** "host:port, host:port" (IPv6 hosts in brackets) -> endpoints. */
const endpointList = z
  .string()
  .transform(splitEnvList)
  .pipe(
    z
      .array(
        z
          .string()
          .regex(HOST_PORT_ENTRY, "each entry is host:port")
          .transform(parseHostPort)
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
  AGENTRY_CACHE_SHARED: flag
    .default(false)
    .describe(
      "Share cached answers across callers: callers who send the same request get the same answer, ids and times included. Off: each caller (API key / JWT subject) has entries of its own.",
    ),
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
  AGENTRY_MAX_TOOL_CALLS_PER_ROUND: positiveInt
    .max(128)
    .default(16)
    .describe("Tool calls run per model answer; the model is told the rest were not run."),
  AGENTRY_MAX_TOOL_CALLS_PER_TURN: positiveInt
    .max(1024)
    .default(64)
    .describe(
      "Tool calls run per turn; past it the rest are not run and the model must answer without tools.",
    ),
  AGENTRY_TOOL_CONCURRENCY: positiveInt
    .max(64)
    .default(4)
    .describe("Tool calls of one turn run at the same time."),
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
    .describe(
      "Revision label on every metric and part of every response-cache key; the operator sets the pod template hash.",
    ),
  AGENTRY_AGENT: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Agent label on every metric (the AgentDeployment's name), which canary analysis selects on; the operator sets it from the pod's agentry.dev/agent label.",
    ),
  AGENTRY_HOST: z.string().default("0.0.0.0").describe("Listen address."),
  AGENTRY_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65_535)
    .default(RUNTIME_ENDPOINTS.defaultPort)
    .describe("Listen port."),
  AGENTRY_MAX_BODY_BYTES: positiveInt
    .default(1_048_576)
    .describe("Request body limit; larger bodies get 413."),
  AGENTRY_REQUEST_TIMEOUT_SECONDS: positiveSeconds
    .default(30)
    .describe(
      "Time a client has to send a whole request (headers and body); then 408 and the connection is closed. Answers, streamed ones too, are not bounded by it.",
    ),
  AGENTRY_MAX_CONCURRENT_TURNS: positiveInt
    .default(64)
    .describe(
      "Turns (/v1/chat, /v1/chat/completions) one replica runs at once; beyond it a turn gets 503 TURN_LIMIT_REACHED with Retry-After at once.",
    ),
  AGENTRY_MAX_CONCURRENT_TURNS_PER_CALLER: positiveInt
    .optional()
    .describe(
      "Turns one caller (API key or JWT subject, else client address) runs at once on a replica; beyond it 429 CALLER_TURN_LIMIT_REACHED. Unset = only the replica's limit.",
    ),
  AGENTRY_TURN_DEADLINE_SECONDS: positiveSeconds
    .default(300)
    .describe(
      "Longest a turn may take, model calls, retries and tools included; then it ends with 504 TURN_DEADLINE_EXCEEDED (an error event in a stream) and the model call is cancelled.",
    ),
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

// The parser declares exactly the contract's variables: a name added to one and not the other
// fails the type check here.
type SchemaNames = keyof typeof runtimeEnvSchema.shape;
const schemaHasEveryContractName: Record<RuntimeEnvName, true> = {} as Record<SchemaNames, true>;
const contractHasEverySchemaName: Record<SchemaNames, true> = {} as Record<RuntimeEnvName, true>;
void schemaHasEveryContractName;
void contractHasEverySchemaName;
// Every AGENTRY_TOOLS entry the contract describes (what the operator writes) is valid input here.
const contractToolIsInput: z.input<typeof toolDefinitionSchema> = {} as ToolEnvEntry;
void contractToolIsInput;

const proxyURL = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// proxy URL" });

/**
 * The standard proxy variables, read for model calls (curl's names; the lower-case spelling wins,
 * as in curl and undici). They are not part of the AGENTRY_ contract: users set them in spec.env.
 */
export const proxyEnvSchema = z.object({
  HTTP_PROXY: proxyURL.optional(),
  HTTPS_PROXY: proxyURL.optional(),
  NO_PROXY: z.string().optional(),
});
export const PROXY_ENV_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"] as const;
