import { describe, expect, it } from "vitest";
import { runtimeEnvSchema } from "../../../agent-runtime/config/env-schema.ts";
import { parseRuntimeConfig } from "../../../agent-runtime/config/parse-runtime-config.ts";
import { ConfigError } from "../../../agent-runtime/config/runtime-config.ts";
import { RUNTIME_ENV_NAMES } from "../../../agent-runtime/contract/runtime-env.ts";

const minimal = { AGENTRY_MODEL: "gpt-4o-mini" };

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseRuntimeConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseRuntimeConfig", () => {
  it("applies the documented defaults to a minimal environment", () => {
    const config = parseRuntimeConfig(minimal);
    expect(config.model).toEqual({
      name: "gpt-4o-mini",
      temperature: undefined,
      maxTokens: undefined,
      systemPrompt: undefined,
    });
    expect(config.provider.baseURL).toBe("https://api.openai.com/v1");
    expect(config.provider.timeoutMs).toBe(60_000);
    expect(config.provider.maxRetries).toBe(2);
    expect(config.server).toEqual({
      host: "0.0.0.0",
      port: 8080,
      bodyLimitBytes: 1_048_576,
      shutdownDeadlineMs: 25_000,
      requestTimeoutMs: 30_000,
    });
    expect(config.turns).toEqual({
      maxConcurrent: 64,
      maxConcurrentPerCaller: undefined,
      deadlineMs: 300_000,
    });
    expect(config.auth).toEqual({ mode: "none" });
    expect(config.rateLimit).toBeUndefined();
    expect(config.redis).toEqual({ connection: undefined, keyPrefix: "agentry:", waitReplicas: 0 });
    expect(config.log).toEqual({ level: "info", content: false });
    expect(config.revision).toBe("dev");
  });

  it("parses every kind of value from strings", () => {
    const config = parseRuntimeConfig({
      ...minimal,
      AGENTRY_TEMPERATURE: "0",
      AGENTRY_MAX_TOKENS: "256",
      AGENTRY_SYSTEM_PROMPT: "You are terse.",
      AGENTRY_PROVIDER_BASE_URL: "http://127.0.0.1:9999/v1/",
      AGENTRY_PROVIDER_TIMEOUT_SECONDS: "1.5",
      AGENTRY_REDIS_URL: "redis://127.0.0.1:6379/0",
      AGENTRY_TOOLS: JSON.stringify([{ name: "search", url: "http://search.tools.svc/q" }]),
      AGENTRY_AUTH_MODE: "apiKey",
      AGENTRY_API_KEYS: "aaaaaaaaaaaaaaaa1, bbbbbbbbbbbbbbbb2\ncccccccccccccccc3",
      AGENTRY_RATE_LIMIT_RPM: "120",
      AGENTRY_LOG_CONTENT: "true",
    });
    expect(config.model.temperature).toBe(0);
    expect(config.model.maxTokens).toBe(256);
    expect(config.provider.baseURL).toBe("http://127.0.0.1:9999/v1");
    expect(config.provider.timeoutMs).toBe(1500);
    expect(config.tools.definitions).toEqual([
      {
        name: "search",
        url: "http://search.tools.svc/q",
        kind: "http",
        parameters: { type: "object", properties: {} },
      },
    ]);
    expect(config.auth).toEqual({
      mode: "apiKey",
      keys: ["aaaaaaaaaaaaaaaa1", "bbbbbbbbbbbbbbbb2", "cccccccccccccccc3"],
    });
    expect(config.rateLimit).toEqual({ requestsPerMinute: 120, burst: 120, key: "client" });
    expect(config.log.content).toBe(true);
  });

  it("reads the limits of requests and turns", () => {
    const config = parseRuntimeConfig({
      ...minimal,
      AGENTRY_REQUEST_TIMEOUT_SECONDS: "2.5",
      AGENTRY_MAX_CONCURRENT_TURNS: "8",
      AGENTRY_MAX_CONCURRENT_TURNS_PER_CALLER: "2",
      AGENTRY_TURN_DEADLINE_SECONDS: "45",
    });
    expect(config.server.requestTimeoutMs).toBe(2500);
    expect(config.turns).toEqual({ maxConcurrent: 8, maxConcurrentPerCaller: 2, deadlineMs: 45_000 });
    expect(
      problemsOf({ ...minimal, AGENTRY_MAX_CONCURRENT_TURNS: "0", AGENTRY_TURN_DEADLINE_SECONDS: "-1" }),
    ).toEqual([
      expect.stringMatching(/^AGENTRY_MAX_CONCURRENT_TURNS: /),
      expect.stringMatching(/^AGENTRY_TURN_DEADLINE_SECONDS: /),
    ]);
  });

  it("treats empty strings as unset, as optional Secret keys arrive", () => {
    const config = parseRuntimeConfig({ ...minimal, AGENTRY_TEMPERATURE: "", AGENTRY_REDIS_URL: "" });
    expect(config.model.temperature).toBeUndefined();
    expect(config.redis.connection).toBeUndefined();
  });

  it("parses Sentinel and Cluster modes", () => {
    expect(
      parseRuntimeConfig({
        ...minimal,
        AGENTRY_REDIS_SENTINELS: "s1.redis:26379, s2.redis:26379 [::1]:26380",
        AGENTRY_REDIS_SENTINEL_MASTER: "mymaster",
        AGENTRY_REDIS_SENTINEL_PASSWORD: "sentinel-secret",
        AGENTRY_REDIS_PASSWORD: "master-secret",
        AGENTRY_REDIS_TLS: "true",
        AGENTRY_REDIS_WAIT_REPLICAS: "1",
      }).redis,
    ).toEqual({
      connection: {
        mode: "sentinel",
        masterName: "mymaster",
        sentinels: [
          { host: "s1.redis", port: 26379 },
          { host: "s2.redis", port: 26379 },
          { host: "::1", port: 26380 },
        ],
        sentinelPassword: "sentinel-secret",
        username: undefined,
        password: "master-secret",
        tls: true,
      },
      keyPrefix: "agentry:",
      waitReplicas: 1,
    });
    expect(
      parseRuntimeConfig({
        ...minimal,
        AGENTRY_REDIS_CLUSTER_NODES: "10.0.0.1:6379,10.0.0.2:6379",
        AGENTRY_REDIS_USERNAME: "agent",
        AGENTRY_REDIS_PASSWORD: "p",
      }).redis.connection,
    ).toEqual({
      mode: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 6379 },
        { host: "10.0.0.2", port: 6379 },
      ],
      username: "agent",
      password: "p",
      tls: false,
    });
    expect(
      parseRuntimeConfig({ ...minimal, AGENTRY_REDIS_URL: "rediss://:pw@r:6380/2" }).redis.connection,
    ).toEqual({ mode: "standalone", url: "rediss://:pw@r:6380/2" });
  });

  it("ignores variables outside the contract", () => {
    expect(() => parseRuntimeConfig({ ...minimal, AGENTRY_UNKNOWN: "x", HOME: "/root" })).not.toThrow();
  });

  it("lists every problem at once, each naming its variable", () => {
    const problems = problemsOf({
      AGENTRY_TEMPERATURE: "hot",
      AGENTRY_PORT: "99999",
      AGENTRY_TOOLS: "[{",
      AGENTRY_AUTH_MODE: "magic",
    });
    expect(problems.length).toBeGreaterThanOrEqual(5);
    for (const name of [
      "AGENTRY_MODEL",
      "AGENTRY_TEMPERATURE",
      "AGENTRY_PORT",
      "AGENTRY_TOOLS",
      "AGENTRY_AUTH_MODE",
    ]) {
      expect(problems.some((problem) => problem.startsWith(name))).toBe(true);
    }
  });

  it.each([
    [{ AGENTRY_AUTH_MODE: "apiKey" }, "AGENTRY_API_KEYS"],
    [{ AGENTRY_AUTH_MODE: "jwt" }, "AGENTRY_JWT_SECRET"],
    [
      {
        AGENTRY_AUTH_MODE: "jwt",
        AGENTRY_JWT_SECRET: "s".repeat(32),
        AGENTRY_JWT_JWKS_URL: "https://idp/jwks",
      },
      "exactly one",
    ],
    [{ AGENTRY_RATE_LIMIT_RPM: "60" }, "AGENTRY_REDIS_URL / AGENTRY_REDIS_SENTINELS"],
    [{ AGENTRY_CACHE_TTL_SECONDS: "60" }, "AGENTRY_REDIS_CLUSTER_NODES: one is required"],
    [
      { AGENTRY_REDIS_URL: "redis://r:6379", AGENTRY_REDIS_CLUSTER_NODES: "a:1" },
      "AGENTRY_REDIS_URL / AGENTRY_REDIS_CLUSTER_NODES: set at most one",
    ],
    [{ AGENTRY_REDIS_SENTINELS: "s:26379" }, "Sentinel mode needs both"],
    [{ AGENTRY_REDIS_SENTINEL_MASTER: "mymaster" }, "Sentinel mode needs both"],
    [
      { AGENTRY_REDIS_CLUSTER_NODES: "a:1", AGENTRY_REDIS_SENTINEL_PASSWORD: "x" },
      "AGENTRY_REDIS_SENTINEL_PASSWORD: only used in Sentinel mode",
    ],
    [{ AGENTRY_REDIS_URL: "redis://r:6379", AGENTRY_REDIS_PASSWORD: "x" }, "put it in the URL"],
    [{ AGENTRY_REDIS_CLUSTER_NODES: "a:1, b" }, "AGENTRY_REDIS_CLUSTER_NODES (1): each entry is host:port"],
    [{ AGENTRY_REDIS_SENTINELS: "a:99999", AGENTRY_REDIS_SENTINEL_MASTER: "m" }, "ports are 1-65535"],
    [{ AGENTRY_REDIS_KEY_PREFIX: "app:{x}:" }, "must not contain { or }"],
    [{ AGENTRY_API_KEYS: "short" }, "at least 16"],
    [{ AGENTRY_JWT_SECRET: "short" }, "AGENTRY_JWT_SECRET"],
    [
      {
        AGENTRY_TOOLS: JSON.stringify([
          { name: "a", url: "http://x/" },
          { name: "a", url: "http://y/" },
        ]),
      },
      "tool names must be unique",
    ],
    [{ AGENTRY_TOOLS: JSON.stringify([{ name: "has space", url: "http://x/" }]) }, "AGENTRY_TOOLS (0.name)"],
    [{ AGENTRY_REDIS_URL: "http://not-redis" }, "AGENTRY_REDIS_URL"],
  ])("rejects %j", (env, expected) => {
    expect(problemsOf({ ...minimal, ...env }).join("\n")).toContain(expected);
  });

  it("parses exactly the variables of the contract the operator builds env from", () => {
    expect(Object.keys(runtimeEnvSchema.shape).sort()).toEqual([...RUNTIME_ENV_NAMES].sort());
    expect(RUNTIME_ENV_NAMES).toContain("AGENTRY_MODEL");
    expect(RUNTIME_ENV_NAMES.every((name) => name.startsWith("AGENTRY_"))).toBe(true);
    for (const name of RUNTIME_ENV_NAMES) {
      expect(runtimeEnvSchema.shape[name].description, `${name} needs a description`).toBeTruthy();
    }
  });
});

describe("parseRuntimeConfig: the model provider", () => {
  const azure = {
    ...minimal,
    AGENTRY_PROVIDER_TYPE: "azure",
    AGENTRY_PROVIDER_BASE_URL: "https://res.openai.azure.com",
    AGENTRY_PROVIDER_AZURE_DEPLOYMENT: "gpt-4o-prod",
    AGENTRY_PROVIDER_AZURE_API_VERSION: "2024-10-21",
  };

  it("defaults to an OpenAI-compatible endpoint, 64 connections, a 10 MiB answer cap and no proxy", () => {
    const { provider } = parseRuntimeConfig(minimal);
    expect(provider.type).toBe("openai");
    expect(provider.azure).toBeUndefined();
    expect(provider.maxConnections).toBe(64);
    expect(provider.maxResponseBytes).toBe(10 * 1024 * 1024);
    expect(provider.proxy).toEqual({ httpProxy: undefined, httpsProxy: undefined, noProxy: undefined });
  });

  it("reads the Azure deployment and api-version", () => {
    const { provider } = parseRuntimeConfig(azure);
    expect(provider.type).toBe("azure");
    expect(provider.baseURL).toBe("https://res.openai.azure.com");
    expect(provider.azure).toEqual({ deployment: "gpt-4o-prod", apiVersion: "2024-10-21" });
  });

  it("names every missing or misplaced Azure setting", () => {
    expect(problemsOf({ ...minimal, AGENTRY_PROVIDER_TYPE: "azure" })).toEqual([
      "AGENTRY_PROVIDER_AZURE_DEPLOYMENT: required when AGENTRY_PROVIDER_TYPE=azure",
      "AGENTRY_PROVIDER_AZURE_API_VERSION: required when AGENTRY_PROVIDER_TYPE=azure",
      "AGENTRY_PROVIDER_BASE_URL: required when AGENTRY_PROVIDER_TYPE=azure (the resource endpoint, https://NAME.openai.azure.com)",
    ]);
    expect(problemsOf({ ...minimal, AGENTRY_PROVIDER_AZURE_DEPLOYMENT: "d" })).toEqual([
      "AGENTRY_PROVIDER_AZURE_DEPLOYMENT: only used when AGENTRY_PROVIDER_TYPE=azure",
    ]);
    expect(problemsOf({ ...azure, AGENTRY_PROVIDER_AZURE_API_VERSION: "latest" })).toEqual([
      "AGENTRY_PROVIDER_AZURE_API_VERSION: Azure API versions look like 2024-10-21 or 2025-01-01-preview",
    ]);
  });

  it("reads the standard proxy variables, the lower-case spelling first, and checks them", () => {
    const { provider } = parseRuntimeConfig({
      ...minimal,
      HTTPS_PROXY: "http://upper:3128",
      https_proxy: "http://lower:3128",
      HTTP_PROXY: "http://plain:3128",
      no_proxy: "localhost,.svc.cluster.local",
    });
    expect(provider.proxy).toEqual({
      httpProxy: "http://plain:3128",
      httpsProxy: "http://lower:3128",
      noProxy: "localhost,.svc.cluster.local",
    });
    expect(problemsOf({ ...minimal, HTTPS_PROXY: "proxy.corp:3128" })).toEqual([
      "HTTPS_PROXY: must be an http:// or https:// proxy URL",
    ]);
  });
});
