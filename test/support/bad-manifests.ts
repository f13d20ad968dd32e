import { API_GROUP_VERSION, KIND } from "../../operator/api/constants.ts";

/**
 * One manifest that breaks one rule of the schema: `agentry validate` and the API server must both
 * reject it and both name `field`. `message` is what `agentry validate` says there (and, for a CEL
 * rule, the API server too). Every rule and pattern that `schemaChecks` finds needs a row here.
 */
export interface BadManifest {
  field: string;
  message: string;
  manifest: Record<string, unknown>;
}

const model = "gpt-4o-mini";
const memory = { redis: { urlSecretRef: { name: "redis", key: "url" } } };

function bad(field: string, message: string, spec: Record<string, unknown>, name = "bad"): BadManifest {
  return {
    field,
    message,
    manifest: {
      apiVersion: API_GROUP_VERSION,
      kind: KIND,
      metadata: { name },
      spec: { agent: { model }, ...spec },
    },
  };
}
const withAgent = (agent: Record<string, unknown>) => ({ agent: { model, ...agent } });
const withTool = (tool: Record<string, unknown>) => withAgent({ tools: [{ name: "search", ...tool }] });
const withJwt = (jwt: Record<string, unknown>) => ({
  auth: { mode: "jwt", jwt: { jwksURL: "https://idp/jwks", ...jwt } },
});
const withMetric = (metric: Record<string, unknown>) => ({
  strategy: {
    type: "Canary",
    canary: { steps: [{ setWeight: 10 }], analysis: { metrics: [{ name: "m", ...metric }] } },
  },
});
const withPrometheus = (prometheus: Record<string, unknown>) => ({
  strategy: {
    type: "Canary",
    canary: {
      steps: [{ setWeight: 10 }],
      analysis: { metrics: [{ name: "errors", builtin: "errorRate", max: 0.05 }], prometheus },
    },
  },
});

const URL_MESSAGE = "must be an http or https URL";
const DNS_NAME = "must be a lowercase DNS-1123 name";

export const BAD_MANIFESTS: BadManifest[] = [
  bad("metadata.name", "metadata.name must be a DNS-1035 label", {}, "Bad_Name"),
  bad("spec.image", "must be an image reference", { image: "not a valid ref!!" }),
  bad("spec.image", "must be an image reference", { image: "ghcr.io/Agentry/runtime:0.1.0" }),
  bad("spec.image", "must be an image reference", { image: "ghcr.io/agentry/runtime:-dev" }),
  bad("spec.image", "must be an image reference", { image: "ghcr.io/agentry/runtime@sha256:abc" }),
  bad("spec.rateLimit", "rateLimit needs agent.memory.redis", { rateLimit: { requestsPerMinute: 60 } }),
  bad(
    "spec.agent.systemPromptFrom",
    "set systemPrompt or systemPromptFrom, not both",
    withAgent({
      systemPrompt: "hi",
      systemPromptFrom: { configMapKeyRef: { name: "p", key: "k" } },
    }),
  ),
  bad(
    "spec.agent.systemPrompt",
    "must be at most 65536 characters",
    withAgent({ systemPrompt: "x".repeat(65_537) }),
  ),
  bad(
    "spec.agent.systemPromptFrom.configMapKeyRef",
    "systemPromptFrom needs exactly one of",
    withAgent({
      systemPromptFrom: { configMapKeyRef: { name: "p", key: "k" }, secretKeyRef: { name: "p", key: "k" } },
    }),
  ),
  bad(
    "spec.agent.systemPromptFrom.configMapKeyRef.name",
    DNS_NAME,
    withAgent({
      systemPromptFrom: { configMapKeyRef: { name: "Prompts", key: "k" } },
    }),
  ),
  bad(
    "spec.agent.systemPromptFrom.configMapKeyRef.key",
    "must consist of alphanumerics",
    withAgent({
      systemPromptFrom: { configMapKeyRef: { name: "p", key: "a/b" } },
    }),
  ),
  bad("spec.agent.cache", "cache needs memory.redis", withAgent({ cache: { ttlSeconds: 60 } })),
  bad(
    "spec.agent.tools",
    "tool names must be unique",
    withAgent({
      tools: [
        { name: "a", url: "http://a" },
        { name: "a", url: "http://b" },
      ],
    }),
  ),
  bad(
    "spec.agent.provider.azure",
    "azure (deployment, apiVersion) is required with type: azure",
    withAgent({
      provider: { type: "azure", baseURL: "https://x.openai.azure.com" },
    }),
  ),
  bad(
    "spec.agent.provider.baseURL",
    "with type: azure, baseURL is the Azure resource endpoint",
    withAgent({
      provider: { type: "azure", azure: { deployment: "d", apiVersion: "2024-10-21" } },
    }),
  ),
  bad("spec.agent.provider.baseURL", URL_MESSAGE, withAgent({ provider: { baseURL: "api.openai.com/v1" } })),
  bad(
    "spec.agent.provider.azure.deployment",
    "must be 1-64 letters",
    withAgent({
      provider: {
        type: "azure",
        baseURL: "https://x.openai.azure.com",
        azure: { deployment: "-d", apiVersion: "2024-10-21" },
      },
    }),
  ),
  bad(
    "spec.agent.provider.azure.apiVersion",
    "must look like 2024-10-21",
    withAgent({
      provider: {
        type: "azure",
        baseURL: "https://x.openai.azure.com",
        azure: { deployment: "d", apiVersion: "v1" },
      },
    }),
  ),
  bad(
    "spec.agent.memory.redis.urlSecretRef",
    "redis needs exactly one of",
    withAgent({ memory: { redis: {} } }),
  ),
  bad(
    "spec.agent.memory.redis.sentinel.sentinels[0].host",
    "must be a DNS name or an IP address",
    withAgent({
      memory: { redis: { sentinel: { masterName: "m", sentinels: [{ host: "bad host" }] } } },
    }),
  ),
  bad(
    "spec.agent.memory.redis.cluster.nodes[0].host",
    "must be a DNS name or an IP address",
    withAgent({
      memory: { redis: { cluster: { nodes: [{ host: "redis/0" }] } } },
    }),
  ),
  bad(
    "spec.agent.memory.redis.cluster.nodes",
    "cluster needs exactly one of nodes or nodesSecretRef",
    withAgent({
      memory: { redis: { cluster: {} } },
    }),
  ),
  bad("spec.agent.tools[0].url", "a tool needs exactly one of url or agentRef", withTool({})),
  bad(
    "spec.agent.tools[0].name",
    "must be 1-64 letters",
    withAgent({ tools: [{ name: "web search", url: "http://s" }] }),
  ),
  // The URL rule against what Go's net/url (the API server) and WHATWG (zod) parse differently.
  ...[
    "file:///etc/passwd",
    "ftp://tools.svc/search",
    "http://",
    "https:///path-without-host",
    "http:tools.svc",
    "tools.svc:8080/search",
    " http://tools.svc/search",
    "http://tools.svc/search\n",
    "http://tools svc/search",
    "javascript:alert(1)",
    "http://tools.svc\\search",
    "http:\\\\tools.svc/search",
  ].map((url) => bad("spec.agent.tools[0].url", URL_MESSAGE, withTool({ url }))),
  bad("spec.resources.requests.cpu", "must be a quantity", { resources: { requests: { cpu: "lots" } } }),
  bad("spec.env[0].name", "names starting with AGENTRY_ are reserved", {
    env: [{ name: "AGENTRY_MODEL", value: "x" }],
  }),
  bad("spec.env[0].valueFrom", "set value or valueFrom, not both", {
    env: [{ name: "A", value: "x", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
  }),
  bad("spec.env[0].name", "must be a valid environment variable name", { env: [{ name: "1A", value: "x" }] }),
  bad("spec.env[0].valueFrom.secretKeyRef", "valueFrom needs exactly one of", {
    env: [{ name: "A", valueFrom: {} }],
  }),
  bad("spec.envFrom[0].configMapRef", "envFrom needs exactly one of configMapRef or secretRef", {
    envFrom: [{}],
  }),
  bad("spec.probes.startup.successThreshold", "startup.successThreshold must be 1", {
    probes: { startup: { successThreshold: 2 } },
  }),
  bad("spec.probes.liveness.successThreshold", "liveness.successThreshold must be 1", {
    probes: { liveness: { successThreshold: 2 } },
  }),
  bad("spec.auth.jwt", "jwt settings need mode: jwt", { auth: { mode: "apiKey", jwt: { issuer: "i" } } }),
  bad("spec.auth.mode", "mode jwt needs exactly one of jwt.jwksURL or a secretRef", {
    auth: { mode: "jwt" },
  }),
  bad("spec.auth.secretRef", "secretRef is not used with mode: none", {
    auth: { secretRef: { name: "k", key: "k" } },
  }),
  bad("spec.auth.jwt.jwksURL", URL_MESSAGE, withJwt({ jwksURL: "file:///jwks.json" })),
  bad(
    "spec.auth.jwt.routeRoles",
    "keys must be paths starting with /",
    withJwt({ routeRoles: { "v1/chat": ["chat"] } }),
  ),
  bad("spec.autoscaling.minReplicas", "minReplicas must not exceed maxReplicas", {
    autoscaling: { minReplicas: 5, maxReplicas: 2, targetCPUUtilizationPercentage: 70 },
  }),
  bad("spec.autoscaling.targetCPUUtilizationPercentage", "autoscaling needs targetCPUUtilizationPercentage", {
    autoscaling: { maxReplicas: 2 },
  }),
  bad("spec.disruption.minAvailable", "set maxUnavailable or minAvailable, not both", {
    disruption: { maxUnavailable: 1, minAvailable: 1 },
  }),
  bad("spec.disruption.maxUnavailable", "must be a number or a percentage", {
    disruption: { maxUnavailable: "half" },
  }),
  bad("spec.strategy.rollingUpdate", "rollingUpdate settings need type: RollingUpdate", {
    strategy: { type: "BlueGreen", rollingUpdate: { maxSurge: 1 } },
  }),
  bad("spec.strategy.canary", "canary settings need type: Canary", {
    strategy: { canary: { steps: [{ setWeight: 10 }] } },
  }),
  bad("spec.strategy.blueGreen", "blueGreen settings need type: BlueGreen", { strategy: { blueGreen: {} } }),
  bad("spec.strategy.rollingUpdate.maxUnavailable", "maxSurge and maxUnavailable cannot both be 0", {
    strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } },
  }),
  bad("spec.strategy.canary.steps", "setWeight must not decrease", {
    strategy: { type: "Canary", canary: { steps: [{ setWeight: 50 }, { setWeight: 10 }] } },
  }),
  bad("spec.strategy.canary.steps[0].setWeight", "a step sets exactly one of setWeight, pause or analysis", {
    strategy: { type: "Canary", canary: { steps: [{ setWeight: 10, pause: {} }] } },
  }),
  bad("spec.strategy.canary.steps[0].pause.duration", "must be a duration", {
    strategy: { type: "Canary", canary: { steps: [{ pause: { duration: "soon" } }] } },
  }),
  bad("spec.strategy.canary.trafficRouting.gatewayAPI.httpRoute", DNS_NAME, {
    strategy: {
      type: "Canary",
      canary: { steps: [{ setWeight: 10 }], trafficRouting: { gatewayAPI: { httpRoute: "My_Route" } } },
    },
  }),
  bad("spec.strategy.canary.analysis.metrics", "metric names must be unique", {
    strategy: {
      type: "Canary",
      canary: {
        steps: [{ setWeight: 10 }],
        analysis: {
          metrics: [
            { name: "m", builtin: "errorRate", max: 0.05 },
            { name: "m", builtin: "llmErrorRate", max: 0.05 },
          ],
        },
      },
    },
  }),
  bad(
    "spec.strategy.canary.analysis.metrics[0].builtin",
    "a metric needs exactly one of builtin or query",
    withMetric({}),
  ),
  bad(
    "spec.strategy.canary.analysis.metrics[0].builtin",
    "a builtin metric needs a bound",
    withMetric({ builtin: "errorRate" }),
  ),
  bad(
    "spec.strategy.canary.analysis.metrics[0].query",
    "a query metric needs successCondition, max or min",
    withMetric({
      query: "sum(up)",
    }),
  ),
  bad(
    "spec.strategy.canary.analysis.metrics[0].maxRatioToStable",
    "maxRatioToStable works only with a builtin",
    withMetric({
      query: "sum(up)",
      max: 1,
      maxRatioToStable: 1.2,
    }),
  ),
  bad(
    "spec.strategy.canary.analysis.metrics[0].successCondition",
    "successCondition works only with a query",
    withMetric({
      builtin: "errorRate",
      max: 1,
      successCondition: "result < 1",
    }),
  ),
  bad(
    "spec.strategy.canary.analysis.metrics[0].name",
    "must be 1-63 letters",
    withMetric({
      name: "-m",
      builtin: "errorRate",
      max: 1,
    }),
  ),
  bad(
    "spec.strategy.canary.analysis.metrics[0].successCondition",
    "must compare result with numbers",
    withMetric({
      query: "sum(up)",
      successCondition: "result is fine",
    }),
  ),
  bad(
    "spec.strategy.canary.analysis.prometheus.address",
    "caSecretRef and insecureSkipVerify need an https address",
    withPrometheus({
      address: "http://prometheus:9090",
      insecureSkipVerify: true,
    }),
  ),
  bad(
    "spec.strategy.canary.analysis.prometheus.insecureSkipVerify",
    "insecureSkipVerify: true ignores caSecretRef",
    withPrometheus({
      address: "https://prometheus:9090",
      caSecretRef: { name: "ca", key: "ca.crt" },
      insecureSkipVerify: true,
    }),
  ),
  bad(
    "spec.strategy.canary.analysis.prometheus.address",
    URL_MESSAGE,
    withPrometheus({ address: "prometheus:9090" }),
  ),
  bad(
    "spec.strategy.blueGreen.autoPromotionSeconds",
    "autoPromotionSeconds needs autoPromotionEnabled: true",
    {
      strategy: { type: "BlueGreen", blueGreen: { autoPromotionEnabled: false, autoPromotionSeconds: 30 } },
    },
  ),
];

/** Valid manifests next to the rules above, so a rule that refuses everything fails too. */
export const GOOD_MANIFESTS: Record<string, unknown>[] = [
  { image: "ghcr.io/agentry/agent-runtime:0.1.0" },
  {
    image:
      "localhost:5000/agent-runtime@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  },
  { image: "[::1]:5000/team/agent_runtime:v1.2-rc.1" },
  withTool({ url: "http://search.tools.svc.cluster.local:8080/query?x=1" }),
  withTool({ url: "HTTPS://Search.Example.com" }),
  withAgent({ systemPrompt: "x".repeat(65_536), memory }),
  withJwt({ routeRoles: { "/v1/chat": ["chat"] } }),
].map((spec) => ({
  apiVersion: API_GROUP_VERSION,
  kind: KIND,
  metadata: { name: "good" },
  spec: { agent: { model }, ...spec },
}));
