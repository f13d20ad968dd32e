import { describe, expect, it } from "vitest";
import { parseRuntimeConfig } from "../../../agent-runtime/config.ts";
import { parseAgentDeployment } from "../../../operator/api/parse-agent-deployment.ts";
import { buildRuntimeEnv, type EnvVar } from "../../../operator/reconcile/runtime-env.ts";

function agent(spec: Record<string, unknown>) {
  const result = parseAgentDeployment({
    apiVersion: "agentry.dev/v1alpha1",
    kind: "AgentDeployment",
    metadata: { name: "bot", namespace: "agents" },
    spec,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

/** What the kubelet would put in the container's environment, given these Secret/ConfigMap values. */
function resolve(env: EnvVar[], data: Record<string, string>): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const variable of env) {
    if (variable.value !== undefined) resolved[variable.name] = variable.value;
    const from = variable.valueFrom as
      | {
          secretKeyRef?: { name: string; key: string };
          configMapKeyRef?: { name: string; key: string };
          fieldRef?: unknown;
        }
      | undefined;
    const ref = from?.secretKeyRef ?? from?.configMapKeyRef;
    if (ref) resolved[variable.name] = data[`${ref.name}/${ref.key}`] ?? "";
    if (from?.fieldRef) resolved[variable.name] = "k5en5xvyf6";
  }
  return resolved;
}

const data = {
  "openai/api-key": "sk-provider",
  "redis/url": "redis://redis.agents.svc:6379/0",
  "prompts/main": "You are helpful.",
  "bot-auth/api-keys": "generated-key-0123456789abcdef",
  "jwt/secret": "a-secret-of-at-least-thirty-two-bytes!!",
};
const azureAgent = {
  model: "gpt-4o",
  provider: {
    type: "azure",
    baseURL: "https://res.openai.azure.com",
    apiKeySecretRef: { name: "openai", key: "api-key" },
    azure: { deployment: "gpt-4o-prod", apiVersion: "2024-10-21" },
    maxConnections: 16,
    maxResponseBytes: 2_000_000,
  },
};
const memory = {
  redis: { urlSecretRef: { name: "redis", key: "url" } },
  ttlSeconds: 600,
  maxHistoryMessages: 20,
};

describe("buildRuntimeEnv against the runtime's own configuration parser", () => {
  it.each([
    { name: "the smallest agent", spec: { agent: { model: "gpt-4o-mini" } } },
    {
      name: "every agent feature with API keys",
      spec: {
        replicas: 2,
        agent: {
          model: "gpt-4o",
          temperature: 0,
          maxTokens: 500,
          systemPromptFrom: { configMapKeyRef: { name: "prompts", key: "main" } },
          provider: {
            baseURL: "http://vllm.models.svc/v1",
            apiKeySecretRef: { name: "openai", key: "api-key" },
            timeoutSeconds: 30,
            maxRetries: 3,
          },
          memory,
          cache: { ttlSeconds: 60 },
          maxToolRounds: 3,
          tools: [
            {
              name: "search",
              url: "http://search.tools.svc/query",
              parameters: { type: "object" },
              timeoutSeconds: 5,
            },
            { name: "ask", agentRef: { name: "helper" } },
          ],
        },
        auth: { mode: "apiKey" },
        rateLimit: { requestsPerMinute: 600, burst: 100, key: "ip" },
        terminationGracePeriodSeconds: 60,
      },
    },
    {
      name: "JWT with a shared secret and route roles",
      spec: {
        agent: { model: "m", memory },
        auth: {
          mode: "jwt",
          secretRef: { name: "jwt", key: "secret" },
          jwt: {
            issuer: "idp",
            audience: "agents",
            rolesClaim: "realm.roles",
            routeRoles: { "/v1/chat": ["chat"] },
          },
        },
      },
    },
    {
      name: "an Azure OpenAI deployment with connection and size limits",
      spec: { agent: azureAgent },
    },
    {
      name: "JWT with a JWKS URL",
      spec: { agent: { model: "m" }, auth: { mode: "jwt", jwt: { jwksURL: "https://idp.example/jwks" } } },
    },
  ])("the runtime accepts the environment of $name", ({ spec }) => {
    const { env, missingAgents } = buildRuntimeEnv(agent(spec), {
      agentPorts: new Map([["helper", 8080]]),
      clusterDomain: "cluster.local",
    });
    expect(missingAgents).toEqual([]);
    const config = parseRuntimeConfig(resolve(env, data));
    expect(config.revision).toBe("k5en5xvyf6");
    expect(config.model.name).toBe((spec.agent as { model: string }).model);
  });

  it("maps the spec onto the runtime's settings", () => {
    const spec = {
      replicas: 2,
      agent: {
        model: "gpt-4o",
        provider: { apiKeySecretRef: { name: "openai", key: "api-key" } },
        memory,
        tools: [{ name: "ask", agentRef: { name: "helper" } }],
      },
      auth: { mode: "apiKey" },
      rateLimit: { requestsPerMinute: 600, burst: 100 },
      terminationGracePeriodSeconds: 60,
    };
    const { env } = buildRuntimeEnv(agent(spec), {
      agentPorts: new Map([["helper", 8080]]),
      clusterDomain: "cluster.local",
    });
    const config = parseRuntimeConfig(resolve(env, data));
    expect(config.provider.apiKey).toBe("sk-provider");
    expect(config.redis).toEqual({
      url: "redis://redis.agents.svc:6379/0",
      keyPrefix: "agentry:agents/bot:",
    });
    expect(config.memory).toEqual({ ttlSeconds: 600, maxHistoryMessages: 20 });
    expect(config.auth).toEqual({ mode: "apiKey", keys: ["generated-key-0123456789abcdef"] });
    expect(config.rateLimit).toEqual({ requestsPerMinute: 600, burst: 100, key: "client" });
    expect(config.tools.definitions).toEqual([
      expect.objectContaining({
        name: "ask",
        kind: "agent",
        url: "http://helper.agents.svc.cluster.local:8080/v1/chat",
      }),
    ]);
    expect(config.server.shutdownDeadlineMs).toBe(55_000);
  });

  it("maps an Azure provider, its limits and the proxy variables from spec.env", () => {
    const spec = {
      agent: azureAgent,
      env: [
        { name: "HTTPS_PROXY", value: "http://egress.proxy.svc:3128" },
        { name: "NO_PROXY", value: ".svc,.cluster.local" },
      ],
    };
    const { env } = buildRuntimeEnv(agent(spec), { agentPorts: new Map(), clusterDomain: "cluster.local" });
    const { provider } = parseRuntimeConfig(resolve(env, data));
    expect(provider).toMatchObject({
      type: "azure",
      baseURL: "https://res.openai.azure.com",
      apiKey: "sk-provider",
      azure: { deployment: "gpt-4o-prod", apiVersion: "2024-10-21" },
      maxConnections: 16,
      maxResponseBytes: 2_000_000,
      proxy: {
        httpProxy: undefined,
        httpsProxy: "http://egress.proxy.svc:3128",
        noProxy: ".svc,.cluster.local",
      },
    });
  });

  it("leaves the provider type out for OpenAI-compatible endpoints, so existing pod templates stay as they were", () => {
    const { env } = buildRuntimeEnv(agent({ agent: { model: "m" } }), {
      agentPorts: new Map(),
      clusterDomain: "cluster.local",
    });
    const names = env.map((variable) => variable.name);
    expect(names).not.toContain("AGENTRY_PROVIDER_TYPE");
    expect(names).not.toContain("AGENTRY_PROVIDER_MAX_CONNECTIONS");
  });
});
