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
  "redis-ha/password": "data-password",
  "redis-ha/sentinel-password": "sentinel-password",
  "redis-cluster/nodes": "redis-0.redis:6379, redis-1.redis:6379",
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

  it("maps Sentinel and Cluster settings onto the runtime's Redis connection, secrets by reference", () => {
    const build = (redis: Record<string, unknown>) =>
      buildRuntimeEnv(agent({ agent: { model: "m", memory: { redis } } }), {
        agentPorts: new Map(),
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
});
