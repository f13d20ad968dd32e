import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from "../support/redis-server.ts";
import { type TestRuntime, useStubbedRuntimes } from "./test-runtime.ts";

const KEY_A = "key-a-0123456789abcdef";
const KEY_B = "key-b-0123456789abcdef";
const JWT_SECRET = "jwt-secret-0123456789abcdef-0123456789";
const PROVIDER_KEY = "sk-provider-secret-value";

const fixture = useStubbedRuntimes({ AGENTRY_PROVIDER_API_KEY: PROVIDER_KEY });
const { runtime } = fixture;

const chat = (agent: TestRuntime, headers: Record<string, string> = {}, message = "hello") =>
  agent.app.inject({ method: "POST", url: "/v1/chat", headers, payload: { message } });

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ sub: "alice", ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(JWT_SECRET));
}

describe("API-key auth", () => {
  const env = { AGENTRY_AUTH_MODE: "apiKey", AGENTRY_API_KEYS: `${KEY_A},${KEY_B}` };

  it("answers 401 with a JSON error for missing or wrong keys, before calling the model", async () => {
    const agent = await runtime(env);
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer not-a-valid-key-000000" },
      { authorization: KEY_A },
    ];
    for (const headers of attempts) {
      const response = await chat(agent, headers);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe("UNAUTHENTICATED");
      expect(response.json().error.requestId).toBe(response.headers["x-request-id"]);
    }
    expect(fixture.stub.stats.total).toBe(0);
  });

  it("accepts Authorization: Bearer and x-api-key", async () => {
    const agent = await runtime(env);
    expect((await chat(agent, { authorization: `Bearer ${KEY_A}` })).statusCode).toBe(200);
    expect((await chat(agent, { "x-api-key": KEY_B })).statusCode).toBe(200);
  });

  it("leaves probes and /metrics open for the kubelet and Prometheus", async () => {
    const agent = await runtime(env);
    for (const url of ["/livez", "/readyz", "/metrics"]) {
      expect((await agent.app.inject(url)).statusCode).toBe(200);
    }
  });
});

describe("JWT auth", () => {
  const env = {
    AGENTRY_AUTH_MODE: "jwt",
    AGENTRY_JWT_SECRET: JWT_SECRET,
    AGENTRY_JWT_AUDIENCE: "agentry",
    AGENTRY_AUTH_ROUTE_ROLES: JSON.stringify({ "/v1/chat/completions": ["admin"] }),
  };

  it("gates routes by role: 200 with a valid token, 403 without the role", async () => {
    const agent = await runtime(env);
    const chatter = await token({ aud: "agentry", roles: ["chat"] });
    expect((await chat(agent, { authorization: `Bearer ${chatter}` })).statusCode).toBe(200);
    const forbidden = await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { authorization: `Bearer ${chatter}` },
      payload: { messages: [{ role: "user", content: "x" }] },
    });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.code).toBe("FORBIDDEN");

    const admin = await token({ aud: "agentry", roles: ["admin"] });
    const allowed = await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { authorization: `Bearer ${admin}` },
      payload: { messages: [{ role: "user", content: "x" }] },
    });
    expect(allowed.statusCode).toBe(200);
  });

  it("answers 401 for a wrong audience and for alg: none", async () => {
    const agent = await runtime(env);
    const wrongAudience = await token({ aud: "other" });
    expect((await chat(agent, { authorization: `Bearer ${wrongAudience}` })).statusCode).toBe(401);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "none" })}.${encode({ sub: "mallory", aud: "agentry", exp: 9_999_999_999 })}.`;
    const response = await chat(agent, { authorization: `Bearer ${unsigned}` });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe("UNAUTHENTICATED");
  });
});

describe("request ids", () => {
  it("echoes x-request-id and forwards it with traceparent to the model", async () => {
    const agent = await runtime();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const response = await chat(agent, { "x-request-id": "req-123", traceparent });
    expect(response.headers["x-request-id"]).toBe("req-123");
    expect(fixture.stub.requests[0]?.headers["x-request-id"]).toBe("req-123");
    expect(fixture.stub.requests[0]?.headers.traceparent).toBe(traceparent);
    expect(agent.logs.some((line) => line.requestId === "req-123")).toBe(true);
  });

  it("derives the id from traceparent, or makes one up", async () => {
    const agent = await runtime();
    const traced = await chat(agent, {
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    });
    expect(traced.headers["x-request-id"]).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect((await chat(agent)).headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("logs", () => {
  it("redact message text and keep credentials out by default", async () => {
    const agent = await runtime({ AGENTRY_AUTH_MODE: "apiKey", AGENTRY_API_KEYS: KEY_A });
    await chat(agent, { authorization: `Bearer ${KEY_A}` }, "my secret diagnosis");
    await chat(agent, { authorization: "Bearer wrong-key-0123456789" }, "another secret");
    const text = JSON.stringify(agent.logs);
    const finished = agent.logs.filter((line) => line.msg === "request finished");
    expect(finished).toHaveLength(2);
    expect(finished[0]).toMatchObject({ route: "/v1/chat", status: 200, message: "[redacted 19 chars]" });
    for (const secret of ["my secret diagnosis", "echo: my secret", "another secret", KEY_A, PROVIDER_KEY]) {
      expect(text).not.toContain(secret);
    }
  });

  it("include message text only when content logging is switched on", async () => {
    const agent = await runtime({ AGENTRY_LOG_CONTENT: "true" });
    await chat(agent, {}, "visible question");
    const turn = agent.logs.find((line) => line.msg === "request finished");
    expect(turn).toMatchObject({ message: "visible question", answer: "echo: visible question" });
  });
});

const redisAvailable = redisServerAvailable("rate limiting (app)");

describe.skipIf(!redisAvailable)("rate limiting", () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it("answers 429 with Retry-After and RateLimit headers once a client's burst is spent", async () => {
    const agent = await runtime({
      AGENTRY_REDIS_URL: redis.url,
      AGENTRY_AUTH_MODE: "apiKey",
      AGENTRY_API_KEYS: `${KEY_A},${KEY_B}`,
      AGENTRY_RATE_LIMIT_RPM: "6",
      AGENTRY_RATE_LIMIT_BURST: "2",
    });
    const asA = { authorization: `Bearer ${KEY_A}` };
    const first = await chat(agent, asA);
    expect(first.statusCode).toBe(200);
    expect(first.headers["ratelimit-limit"]).toBe("2");
    expect(first.headers["ratelimit-remaining"]).toBe("1");
    expect((await chat(agent, asA)).statusCode).toBe(200);

    const refused = await chat(agent, asA);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe("RATE_LIMITED");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(9);
    expect(refused.headers["ratelimit-remaining"]).toBe("0");
    expect(fixture.stub.stats.total).toBe(2);

    // Another client has its own bucket.
    expect((await chat(agent, { authorization: `Bearer ${KEY_B}` })).statusCode).toBe(200);
  });
});
