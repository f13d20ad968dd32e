import { describe, expect, it } from "vitest";
import { parseRuntimeConfig } from "../../../agent-runtime/config/parse-runtime-config.ts";
import { parseAgentDeployment } from "../../../operator/api/parse-agent-deployment.ts";
import { calledAgentOf, toolsLackingCredential } from "../../../operator/reconcile/called-agent.ts";
import { referencedData } from "../../../operator/reconcile/referenced-data.ts";
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
  "redis-ha/password": "data-password",
  "redis-ha/sentinel-password": "sentinel-password",
  "redis-cluster/nodes": "redis-0.redis:6379, redis-1.redis:6379",
  "helper-auth/api-keys": "helper-key-1,helper-key-2",
  "search-token/token": "search-bearer",
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
  maxHistoryBytes: 65_536,
  maxMessageBytes: 4096,
  maxSessionsPerCaller: 7,
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
      name: "Redis behind Sentinel",
      spec: {
        replicas: 3,
        agent: {
          model: "m",
          memory: {
            redis: {
              sentinel: {
                masterName: "mymaster",
                sentinels: [{ host: "sentinel-0.redis" }, { host: "fd00::1", port: 26380 }],
                sentinelPasswordSecretRef: { name: "redis-ha", key: "sentinel-password" },
                passwordSecretRef: { name: "redis-ha", key: "password" },
                tls: true,
              },
              waitForReplicas: 1,
            },
          },
          cache: { ttlSeconds: 60 },
        },
        rateLimit: { requestsPerMinute: 60 },
      },
    },
    {
      name: "Redis Cluster with seed nodes from a Secret",
      spec: {
        agent: {
          model: "m",
          memory: {
            redis: {
              cluster: {
                nodesSecretRef: { name: "redis-cluster", key: "nodes" },
                username: "agent",
                passwordSecretRef: { name: "redis-ha", key: "password" },
              },
            },
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
      calledAgents: new Map([["helper", { port: 8080, authMode: "none" as const }]]),
      clusterDomain: "cluster.local",
    });
    expect(missingAgents).toEqual([]);
    const config = parseRuntimeConfig(resolve(env, data));
    expect(config.revision).toBe("k5en5xvyf6");
    expect(config.model.name).toBe((spec.agent as { model: string }).model);
  });

  it("maps Sentinel and Cluster settings onto the runtime's Redis connection, secrets by reference", () => {
    const build = (redis: Record<string, unknown>) =>
      buildRuntimeEnv(agent({ agent: { model: "m", memory: { redis } } }), {
        calledAgents: new Map(),
        clusterDomain: "cluster.local",
      }).env;
    const sentinelEnv = build({
      sentinel: {
        masterName: "mymaster",
        sentinels: [{ host: "sentinel-0.redis" }, { host: "fd00::1", port: 26380 }],
        sentinelPasswordSecretRef: { name: "redis-ha", key: "sentinel-password" },
        passwordSecretRef: { name: "redis-ha", key: "password" },
      },
      waitForReplicas: 1,
    });
    expect(sentinelEnv).toContainEqual({
      name: "AGENTRY_REDIS_PASSWORD",
      valueFrom: { secretKeyRef: { name: "redis-ha", key: "password" } },
    });
    expect(JSON.stringify(sentinelEnv)).not.toContain("data-password");
    expect(parseRuntimeConfig(resolve(sentinelEnv, data)).redis).toEqual({
      connection: {
        mode: "sentinel",
        masterName: "mymaster",
        sentinels: [
          { host: "sentinel-0.redis", port: 26379 },
          { host: "fd00::1", port: 26380 },
        ],
        sentinelPassword: "sentinel-password",
        username: undefined,
        password: "data-password",
        tls: false,
      },
      keyPrefix: "agentry:agents/bot:",
      waitReplicas: 1,
    });

    const clusterEnv = build({
      cluster: { nodes: [{ host: "10.0.0.1" }, { host: "10.0.0.2", port: 7000 }], tls: true },
    });
    expect(parseRuntimeConfig(resolve(clusterEnv, data)).redis.connection).toEqual({
      mode: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 6379 },
        { host: "10.0.0.2", port: 7000 },
      ],
      username: undefined,
      password: undefined,
      tls: true,
    });
  });

  it("shares cached answers across callers only when spec.agent.cache.shared says so", () => {
    const cacheOf = (cache: Record<string, unknown>) => {
      const { env } = buildRuntimeEnv(agent({ agent: { model: "m", memory, cache } }), {
        calledAgents: new Map(),
        clusterDomain: "cluster.local",
      });
      return {
        env: env.map((variable) => variable.name),
        config: parseRuntimeConfig(resolve(env, data)).cache,
      };
    };
    const unshared = cacheOf({ ttlSeconds: 60 });
    expect(unshared.config).toEqual({ ttlSeconds: 60, shared: false });
    expect(unshared.env).not.toContain("AGENTRY_CACHE_SHARED");
    expect(cacheOf({ ttlSeconds: 60, shared: true }).config).toEqual({ ttlSeconds: 60, shared: true });
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
      calledAgents: new Map([["helper", { port: 8080, authMode: "none" as const }]]),
      clusterDomain: "cluster.local",
    });
    const config = parseRuntimeConfig(resolve(env, data));
    expect(config.provider.apiKey).toBe("sk-provider");
    expect(config.redis).toEqual({
      connection: { mode: "standalone", url: "redis://redis.agents.svc:6379/0" },
      keyPrefix: "agentry:agents/bot:",
      waitReplicas: 0,
    });
    expect(config.memory).toEqual({
      ttlSeconds: 600,
      maxHistoryMessages: 20,
      maxHistoryBytes: 65_536,
      maxMessageBytes: 4096,
      maxSessionsPerCaller: 7,
    });
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
    const { env } = buildRuntimeEnv(agent(spec), { calledAgents: new Map(), clusterDomain: "cluster.local" });
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
      calledAgents: new Map(),
      clusterDomain: "cluster.local",
    });
    const names = env.map((variable) => variable.name);
    expect(names).not.toContain("AGENTRY_PROVIDER_TYPE");
    expect(names).not.toContain("AGENTRY_PROVIDER_MAX_CONNECTIONS");
  });

  it("gives a tool calling an agent in apiKey mode that agent's first key, by reference, and no other tool a key", () => {
    const spec = {
      agent: {
        model: "m",
        tools: [
          { name: "ask", agentRef: { name: "helper" } },
          {
            name: "search",
            url: "http://search.tools/q",
            credentialSecretRef: { name: "search-token", key: "token" },
          },
          { name: "open", url: "http://open.tools/q" },
        ],
      },
    };
    const calledAgents = new Map([
      ["helper", calledAgentOf({ metadata: { name: "helper" }, spec: { auth: { mode: "apiKey" } } })],
    ]);
    const { env } = buildRuntimeEnv(agent(spec), { calledAgents, clusterDomain: "cluster.local" });
    expect(env).toContainEqual({
      name: "AGENTRY_TOOL_CREDENTIAL_0",
      valueFrom: { secretKeyRef: { name: "helper-auth", key: "api-keys" } },
    });
    expect(JSON.stringify(env)).not.toContain("helper-key");
    const tools = parseRuntimeConfig(resolve(env, data)).tools.definitions;
    expect(tools.map((tool) => [tool.name, tool.credential])).toEqual([
      ["ask", "helper-key-1"],
      ["search", "search-bearer"],
      ["open", undefined],
    ]);
    // The called agent's key Secret is part of this agent's revision: a rotation rolls it out too.
    expect(referencedData("bot", agent(spec).spec, calledAgents)).toEqual(
      expect.arrayContaining([
        { kind: "Secret", name: "helper-auth", key: "api-keys", field: "spec.agent.tools[0].agentRef" },
        {
          kind: "Secret",
          name: "search-token",
          key: "token",
          field: "spec.agent.tools[1].credentialSecretRef",
        },
      ]),
    );
  });

  it("maps the pass-through limits, the JWT subject claim and the failed-auth limit onto the runtime's settings", () => {
    const spec = {
      agent: { model: "m", passthrough: { maxN: 2, allowTemperature: true, allowTools: false } },
      auth: {
        mode: "jwt",
        secretRef: { name: "jwt", key: "secret" },
        jwt: { subjectClaim: "client_id" },
        failedAttempts: { perMinute: 30, burst: 5 },
      },
    };
    const { env } = buildRuntimeEnv(agent(spec), { calledAgents: new Map(), clusterDomain: "cluster.local" });
    const config = parseRuntimeConfig(resolve(env, data));
    expect(config.passthrough).toEqual({ maxN: 2, allowTemperature: true, allowTools: false });
    expect(config.auth).toMatchObject({ mode: "jwt", subjectClaim: "client_id" });
    expect(config.authFailureLimit).toEqual({ failuresPerMinute: 30, burst: 5 });
    // Unset, they leave the pod template alone and the runtime's defaults apply.
    const plain = buildRuntimeEnv(agent({ agent: { model: "m" } }), {
      calledAgents: new Map(),
      clusterDomain: "cluster.local",
    }).env.map((variable) => variable.name);
    expect(plain.filter((name) => /PASSTHROUGH|SUBJECT|FAILURE/.test(name))).toEqual([]);
  });

  it("refuses to start when a tool's credential variable is missing", () => {
    const tools = JSON.stringify([
      { name: "ask", url: "http://a/v1/chat", credentialEnv: "AGENTRY_TOOL_CREDENTIAL_0" },
    ]);
    expect(() => parseRuntimeConfig({ AGENTRY_MODEL: "m", AGENTRY_TOOLS: tools })).toThrow(
      /AGENTRY_TOOL_CREDENTIAL_0: the credential of tool "ask" is unset or empty/,
    );
  });
});

describe("tools calling an agent in jwt mode", () => {
  it("are named when they lack a credential, so the agent stalls with a message instead of failing every call", () => {
    const calledAgents = new Map([
      ["idp-bot", calledAgentOf({ metadata: { name: "idp-bot" }, spec: { auth: { mode: "jwt" } } })],
    ]);
    const tools =
      agent({
        agent: {
          model: "m",
          tools: [
            { name: "a", agentRef: { name: "idp-bot" } },
            { name: "b", agentRef: { name: "idp-bot" }, credentialSecretRef: { name: "t", key: "k" } },
          ],
        },
      }).spec.agent.tools ?? [];
    expect(toolsLackingCredential(tools, calledAgents)).toEqual(["a (calls idp-bot, which uses jwt auth)"]);
  });
});

describe("the labels the analyses select on", () => {
  it("gives the runtime its agent's name, so every metric carries agent=NAME", () => {
    const { env } = buildRuntimeEnv(agent({ agent: { model: "gpt-4o-mini" } }), {
      calledAgents: new Map(),
      clusterDomain: "cluster.local",
    });
    const config = parseRuntimeConfig(resolve(env, data));
    expect(config.agent).toBe("bot");
  });
});
