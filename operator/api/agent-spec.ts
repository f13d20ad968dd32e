import { z } from "zod";
import { exactlyOneOf, withRules } from "./cross-field-rule.ts";
import {
  configMapKeyRef,
  defaultedObject,
  httpUrl,
  localObjectRef,
  PRESERVE_UNKNOWN_FIELDS,
  secretKeyRef,
} from "./primitives.ts";

export const MAX_TOOLS = 20;

const systemPromptFrom = withRules(
  z
    .strictObject({
      configMapKeyRef: configMapKeyRef.optional().describe("Read the system prompt from a ConfigMap key."),
      secretKeyRef: secretKeyRef.optional().describe("Read the system prompt from a Secret key."),
    })
    .describe(
      "Where to read the system prompt from. A change of the referenced data rolls out a new revision.",
    ),
  [
    exactlyOneOf(
      ["configMapKeyRef", "secretKeyRef"],
      "systemPromptFrom needs exactly one of configMapKeyRef or secretKeyRef",
    ),
  ],
);

export const MAX_SYSTEM_PROMPT_LENGTH = 65_536;

export const DEFAULT_PROVIDER_BASE_URL = "https://api.openai.com/v1";

const azureSpec = z
  .strictObject({
    deployment: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
        message: "must be 1-64 letters, digits, '.', '_' or '-'",
      })
      .describe("Name of the Azure OpenAI deployment; requests go to /openai/deployments/{deployment}/..."),
    apiVersion: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, { message: "must look like 2024-10-21 or 2025-01-01-preview" })
      .describe("Azure OpenAI API version, sent as the api-version query parameter (e.g. 2024-10-21)."),
  })
  .describe("Azure OpenAI settings; required with type: azure.");

const isAzure = (provider: { type: string }) => provider.type === "azure";

export const providerSpec = withRules(
  z
    .strictObject({
      type: z
        .enum(["openai", "azure"])
        .default("openai")
        .describe(
          "openai: any OpenAI-compatible API, the key sent as a Bearer token. azure: Azure OpenAI, with the deployment path, the api-version parameter and the key in the api-key header.",
        ),
      baseURL: httpUrl()
        .default(DEFAULT_PROVIDER_BASE_URL)
        .describe(
          "Base URL of any OpenAI-compatible API (OpenAI, vLLM, Ollama, LiteLLM, ...), with its /v1; for type: azure the resource endpoint, https://NAME.openai.azure.com.",
        ),
      apiKeySecretRef: secretKeyRef
        .optional()
        .describe(
          "Secret key holding the API key. Passed to the runtime as a secretKeyRef, never copied; rotating it rolls out a new revision.",
        ),
      azure: azureSpec.optional(),
      timeoutSeconds: z.int().min(1).max(3600).default(60).describe("Timeout of one model call, in seconds."),
      maxRetries: z
        .int()
        .min(0)
        .max(10)
        .default(2)
        .describe("Retries of a model call on 429 and 5xx, with backoff and jitter, honouring Retry-After."),
      maxConnections: z
        .int()
        .min(1)
        .max(10_000)
        .optional()
        .describe(
          "Connections each replica keeps open to the model endpoint; further calls wait for a free one. Default 64.",
        ),
      maxResponseBytes: z
        .int()
        .min(1024)
        .max(1_073_741_824)
        .optional()
        .describe(
          "Largest model answer a replica reads (after decompression), streamed or not; a larger one fails the call with 502. Default 10485760 (10 MiB).",
        ),
    })
    .describe(
      "The model endpoint. An egress proxy is set with the standard HTTPS_PROXY, HTTP_PROXY and NO_PROXY variables in spec.env.",
    ),
  [
    {
      cel: "(has(self.type) && self.type == 'azure') == has(self.azure)",
      message: "azure (deployment, apiVersion) is required with type: azure and only allowed with it",
      field: "azure",
      holds: (provider) => isAzure(provider) === (provider.azure !== undefined),
    },
    {
      cel: `!(has(self.type) && self.type == 'azure') || self.baseURL != '${DEFAULT_PROVIDER_BASE_URL}'`,
      message: "with type: azure, baseURL is the Azure resource endpoint (https://NAME.openai.azure.com)",
      field: "baseURL",
      holds: (provider) => !isAzure(provider) || provider.baseURL !== DEFAULT_PROVIDER_BASE_URL,
    },
  ],
);

const MAX_REDIS_ENDPOINTS = 16;

const redisEndpoint = (defaultPort: number) =>
  z
    .strictObject({
      host: z
        .string()
        .min(1)
        .max(253)
        .regex(/^[A-Za-z0-9.:_-]+$/, { message: "must be a DNS name or an IP address" })
        .describe("DNS name or IP address."),
      port: z.int().min(1).max(65_535).default(defaultPort).describe(`TCP port (default ${defaultPort}).`),
    })
    .describe("A Redis server or sentinel.");

const redisServerAuth = {
  username: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe("ACL user of the Redis servers; unset uses the default user."),
  passwordSecretRef: secretKeyRef.optional().describe("Secret key holding the Redis servers' password."),
  tls: z.boolean().default(false).describe("Connect with TLS (the system's CAs plus NODE_EXTRA_CA_CERTS)."),
};

export const redisSentinelSpec = z
  .strictObject({
    masterName: z
      .string()
      .min(1)
      .max(256)
      .describe("Name of the master group the sentinels monitor (`sentinel monitor NAME ...`)."),
    sentinels: z
      .array(redisEndpoint(26_379))
      .min(1)
      .max(MAX_REDIS_ENDPOINTS)
      .describe("Sentinels to ask for the current master; give all of them, or at least two."),
    sentinelPasswordSecretRef: secretKeyRef
      .optional()
      .describe("Secret key holding the sentinels' own password (their requirepass), when they have one."),
    ...redisServerAuth,
  })
  .describe(
    "Redis behind Sentinel: the runtime asks the sentinels for the master and follows failovers. With tls, the sentinels are reached over TLS too.",
  );

export const redisClusterSpec = withRules(
  z
    .strictObject({
      nodes: z
        .array(redisEndpoint(6379))
        .min(1)
        .max(MAX_REDIS_ENDPOINTS)
        .optional()
        .describe("Seed nodes of the cluster; the runtime discovers the others from them."),
      nodesSecretRef: secretKeyRef
        .optional()
        .describe(
          'Secret key holding the seed nodes as "host:port,host:port" (when they are not to be in the spec).',
        ),
      ...redisServerAuth,
    })
    .describe("A Redis Cluster: keys are spread over its masters; each session stays in one slot."),
  [exactlyOneOf(["nodes", "nodesSecretRef"], "cluster needs exactly one of nodes or nodesSecretRef")],
);

export const redisSpec = withRules(
  z
    .strictObject({
      urlSecretRef: secretKeyRef
        .optional()
        .describe(
          "One Redis server: a Secret key holding its URL (redis:// or rediss://, with credentials).",
        ),
      sentinel: redisSentinelSpec.optional(),
      cluster: redisClusterSpec.optional(),
      waitForReplicas: z
        .int()
        .min(0)
        .max(16)
        .default(0)
        .describe(
          "Replicas that must confirm each session write (Redis WAIT) before the turn is answered, so a failover that promotes one of them loses no answered turn (see docs/runtime.md, Durable turns); 0 does not wait. Writes fail with 503 while fewer replicas are up.",
        ),
    })
    .describe(
      "Redis that holds session history, rate-limit counters and the response cache: exactly one of urlSecretRef, sentinel or cluster.",
    ),
  [
    exactlyOneOf(
      ["urlSecretRef", "sentinel", "cluster"],
      "redis needs exactly one of urlSecretRef, sentinel or cluster",
    ),
  ],
);

export const memorySpec = z
  .strictObject({
    redis: redisSpec,
    ttlSeconds: z
      .int()
      .min(60)
      .default(86_400)
      .describe("Seconds a session's history is kept after its last turn."),
    maxHistoryMessages: z
      .int()
      .min(1)
      .max(1000)
      .default(50)
      .describe("Messages of history kept per session; older ones are trimmed."),
    maxHistoryBytes: z
      .int()
      .min(1024)
      .max(67_108_864)
      .default(262_144)
      .describe(
        "Bytes of history kept per session (as stored JSON) and sent to the model with every turn; older messages are trimmed.",
      ),
    maxMessageBytes: z
      .int()
      .min(256)
      .max(16_777_216)
      .default(32_768)
      .describe(
        "Largest user message a session turn accepts (larger ones get 400); longer answers are stored cut to it.",
      ),
    maxSessionsPerCaller: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(100)
      .describe(
        "Live sessions one authenticated caller (API key or JWT subject) may have; a turn opening one more gets 429.",
      ),
  })
  .describe(
    "Conversation memory in Redis, shared by every replica: needed for sessions, rate limits and the cache. Without it the agent still scales (every turn is stateless).",
  );

export const cacheSpec = z
  .strictObject({
    ttlSeconds: z.int().min(1).default(3600).describe("Seconds a cached response is served."),
    shared: z
      .boolean()
      .default(false)
      .describe(
        "Share cached answers across callers: callers who send the same request get the same answer, ids and times included. Off (the default): each caller (API key or JWT subject) has entries of its own. Revisions never share entries either way.",
      ),
  })
  .describe(
    "Response cache in Redis, used only for deterministic requests (temperature 0, no tools, no session). Entries are per revision, provider and request, and per caller unless shared is set.",
  );

export const toolSpec = withRules(
  z
    .strictObject({
      name: z
        .string()
        .max(64)
        .regex(/^[a-zA-Z0-9_-]{1,64}$/, { message: "must be 1-64 letters, digits, '_' or '-'" })
        .describe("Function name the model calls (1-64 letters, digits, '_' or '-'); unique among tools."),
      description: z.string().max(1024).optional().describe("What the tool does, shown to the model."),
      url: httpUrl().optional().describe("HTTP endpoint the runtime POSTs the call's JSON arguments to."),
      agentRef: localObjectRef
        .optional()
        .describe("Another AgentDeployment in the same namespace, called through its Service."),
      credentialSecretRef: secretKeyRef
        .optional()
        .describe(
          "Secret key holding a bearer token that the runtime sends on this tool's calls only (Authorization: Bearer). With agentRef to an agent in apiKey mode it defaults to that agent's own key Secret (its first key); an agent in jwt mode needs it set to a token that agent accepts.",
        ),
      parameters: z
        .record(z.string(), z.unknown())
        .meta(PRESERVE_UNKNOWN_FIELDS)
        .optional()
        .describe("JSON Schema of the arguments, passed to the model as the function's parameters."),
      timeoutSeconds: z.int().min(1).max(600).default(30).describe("Timeout of one call, in seconds."),
    })
    .describe("A tool the model may call; the runtime executes the call over HTTP."),
  [exactlyOneOf(["url", "agentRef"], "a tool needs exactly one of url or agentRef")],
);

/** What clients of the OpenAI-compatible /v1/chat/completions may choose; the rest is the agent's. */
export const passthroughSpec = z
  .strictObject({
    maxN: z
      .int()
      .min(1)
      .max(16)
      .optional()
      .describe("Most completions (`n`) one request may ask for; larger values are lowered. Default: 1."),
    allowTemperature: z
      .boolean()
      .optional()
      .describe(
        "Let clients choose temperature; otherwise agent.temperature wins when it is set. Default: false.",
      ),
    allowTools: z
      .boolean()
      .optional()
      .describe(
        "Let clients send their own tools (they run them themselves); false answers 400. Default: true.",
      ),
  })
  .describe(
    "Limits of /v1/chat/completions: max_tokens never exceeds agent.maxTokens; these decide the rest.",
  );

export const agentSpec = withRules(
  z
    .strictObject({
      model: z.string().min(1).max(256).describe("Model name sent to the provider, e.g. gpt-4o-mini."),
      temperature: z.number().min(0).max(2).optional().describe("Sampling temperature, 0 to 2."),
      maxTokens: z.int().min(1).optional().describe("Upper bound on tokens generated per model call."),
      // Bounded by a rule of agentSpec, not maxLength: see there.
      systemPrompt: z
        .string()
        .optional()
        .describe("System prompt text. Use systemPromptFrom for long or shared prompts."),
      systemPromptFrom: systemPromptFrom.optional(),
      provider: defaultedObject(providerSpec),
      memory: memorySpec.optional(),
      cache: cacheSpec.optional(),
      tools: z
        .array(toolSpec)
        .max(MAX_TOOLS)
        .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] })
        .optional()
        .describe(`Tools the model may call, at most ${MAX_TOOLS}, unique by name.`),
      maxToolRounds: z
        .int()
        .min(1)
        .max(20)
        .default(5)
        .describe("Model/tool round trips allowed in one request before the runtime stops the loop."),
      passthrough: passthroughSpec.optional(),
    })
    .describe("What the agent is: model, prompt, provider, memory and tools."),
  [
    {
      // Not maxLength: the API server counts a maxLength error as one that stops its CEL rules and
      // adds "<nil>: Invalid value: null: some validation rules were not checked". Not a rule on
      // the string itself either: the API server would quote the whole string (2 MB) in the error.
      // Nothing else reads the prompt's content, so no cost estimate needs the bound.
      cel: `!has(self.systemPrompt) || self.systemPrompt.size() <= ${MAX_SYSTEM_PROMPT_LENGTH}`,
      message: `must be at most ${MAX_SYSTEM_PROMPT_LENGTH} characters; put a longer prompt in a ConfigMap and use systemPromptFrom`,
      field: "systemPrompt",
      holds: (agent) => (agent.systemPrompt?.length ?? 0) <= MAX_SYSTEM_PROMPT_LENGTH,
    },
    {
      cel: "!(has(self.systemPrompt) && has(self.systemPromptFrom))",
      message: "set systemPrompt or systemPromptFrom, not both",
      field: "systemPromptFrom",
      reason: "FieldValueForbidden",
      holds: (agent) => !(agent.systemPrompt !== undefined && agent.systemPromptFrom !== undefined),
    },
    {
      cel: "!has(self.cache) || has(self.memory)",
      message: "cache needs memory.redis: the response cache lives in Redis",
      field: "cache",
      reason: "FieldValueForbidden",
      holds: (agent) => agent.cache === undefined || agent.memory !== undefined,
    },
    {
      message: "tool names must be unique",
      field: "tools",
      reason: "FieldValueDuplicate",
      holds: (agent) => new Set(agent.tools?.map((tool) => tool.name)).size === (agent.tools?.length ?? 0),
    },
  ],
);
