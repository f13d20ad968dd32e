import { describe, expect, it } from "vitest";
import {
  type CacheScope,
  cacheKeyOf,
  cacheScopeOf,
  canonicalJson,
} from "../../../agent-runtime/cache/cache-key.ts";

const API_KEY = "sk-provider-secret-0123456789";

type Config = Parameters<typeof cacheScopeOf>[0];
const config = {
  revision: "rev-stable",
  cache: { ttlSeconds: 60, shared: false },
  provider: {
    type: "openai",
    baseURL: "https://api.example.test/v1",
    apiKey: API_KEY,
    azure: undefined,
  },
} as unknown as Config;

const chatRequest = {
  route: "/v1/chat",
  settings: { model: "gpt-4o-mini", temperature: 0, maxTokens: 100, tools: [], maxToolRounds: 4 },
  systemPrompt: "You are terse.",
  history: "",
  message: "capital of France?",
};
const completionBody = {
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "hi" }],
  temperature: 0,
  max_tokens: 100,
};

type Case = { change: string; scope?: (config: Config) => Config; principal?: string; request?: unknown };

const withProvider = (provider: object) => (c: Config) =>
  ({ ...c, provider: { ...c.provider, ...provider } }) as Config;
const withChat = (fields: object) => ({ ...chatRequest, ...fields });
const withSettings = (fields: object) => ({
  ...chatRequest,
  settings: { ...chatRequest.settings, ...fields },
});
const withBody = (fields: object) => ({
  route: "/v1/chat/completions",
  body: { ...completionBody, ...fields },
});

const keyOf = (scope: CacheScope, principal: string | undefined, request: unknown) =>
  cacheKeyOf("p:", scope, principal, request);
const base = (request: unknown = chatRequest) => keyOf(cacheScopeOf(config), "caller-a", request);

describe("cache keys", () => {
  it("ignore key order and undefined fields", () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: undefined, z: null }] })).toBe(
      '{"a":[{"y":2,"z":null}],"b":1}',
    );
    expect(base({ a: 1, b: 2 })).toBe(base({ b: 2, a: 1, c: undefined }));
  });

  it("are the prefix and a SHA-256, whatever the size of the request", () => {
    expect(base()).toMatch(/^p:cache:[0-9a-f]{64}$/);
    expect(base(withChat({ message: "x".repeat(100_000) }))).toMatch(/^p:cache:[0-9a-f]{64}$/);
  });

  const changes: Case[] = [
    { change: "the caller", principal: "caller-b" },
    { change: "an anonymous caller", principal: undefined },
    { change: "the revision", scope: (c) => ({ ...c, revision: "rev-canary" }) as Config },
    { change: "the provider type", scope: withProvider({ type: "azure" }) },
    { change: "the provider base URL", scope: withProvider({ baseURL: "https://other.example.test/v1" }) },
    {
      change: "the Azure deployment",
      scope: withProvider({ type: "azure", azure: { deployment: "gpt-4o-b", apiVersion: "2024-10-21" } }),
    },
    { change: "the provider API key", scope: withProvider({ apiKey: "sk-rotated-key" }) },
    { change: "no provider API key", scope: withProvider({ apiKey: undefined }) },
    { change: "sharing turned on", scope: (c) => ({ ...c, cache: { ...c.cache, shared: true } }) as Config },
    { change: "the route", request: { ...chatRequest, route: "/v1/chat/completions" } },
    { change: "the model", request: withSettings({ model: "gpt-4o" }) },
    { change: "the temperature", request: withSettings({ temperature: 0.5 }) },
    { change: "max tokens", request: withSettings({ maxTokens: 200 }) },
    { change: "tool rounds", request: withSettings({ maxToolRounds: 2 }) },
    {
      change: "a tool definition",
      request: withSettings({ tools: [{ type: "function", function: { name: "search", parameters: {} } }] }),
    },
    { change: "the system prompt", request: withChat({ systemPrompt: "You are verbose." }) },
    { change: "the history", request: withChat({ history: '[{"role":"user","content":"earlier"}]' }) },
    { change: "the message", request: withChat({ message: "capital of Spain?" }) },
    { change: "pass-through messages", request: withBody({ messages: [{ role: "user", content: "ho" }] }) },
    { change: "pass-through model", request: withBody({ model: "gpt-4o" }) },
    { change: "pass-through temperature", request: withBody({ temperature: 0.2 }) },
    { change: "pass-through max_tokens", request: withBody({ max_tokens: 5 }) },
    {
      change: "pass-through tools",
      request: withBody({ tools: [{ type: "function", function: { name: "f" } }] }),
    },
    {
      change: "pass-through response_format",
      request: withBody({ response_format: { type: "json_object" } }),
    },
    { change: "pass-through seed", request: withBody({ seed: 7 }) },
    { change: "pass-through stop", request: withBody({ stop: ["\n"] }) },
    { change: "pass-through n", request: withBody({ n: 2 }) },
  ];

  it.each(changes)("change with $change", (change) => {
    const { scope, request } = change;
    const principal = "principal" in change ? change.principal : "caller-a";
    const isCompletion = typeof request === "object" && request !== null && "body" in request;
    const before = keyOf(cacheScopeOf(config), "caller-a", isCompletion ? withBody({}) : chatRequest);
    const after = keyOf(cacheScopeOf(scope ? scope(config) : config), principal, request ?? chatRequest);
    expect(after).not.toBe(before);
  });

  it("hold no caller when shared, so every caller finds the same entry", () => {
    const shared = cacheScopeOf({ ...config, cache: { ttlSeconds: 60, shared: true } } as Config);
    expect(keyOf(shared, "caller-a", chatRequest)).toBe(keyOf(shared, "caller-b", chatRequest));
    expect(keyOf(shared, "caller-a", chatRequest)).toBe(keyOf(shared, undefined, chatRequest));
  });

  it("never carry the provider's API key, only a hash of it", () => {
    const scope = cacheScopeOf(config);
    expect(JSON.stringify(scope)).not.toContain(API_KEY);
    expect(scope.provider.apiKeyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("do not change with what does not reach the model: the TTL, the request id, the trace", () => {
    const longer = cacheScopeOf({ ...config, cache: { ttlSeconds: 3600, shared: false } } as Config);
    expect(keyOf(longer, "caller-a", chatRequest)).toBe(base());
    // Request ids and traceparent are not part of the request the routes hand over; the route
    // tests show two requests differing only in them share an entry.
  });
});
