import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawExchange } from "../support/raw-exchange.ts";
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from "../support/redis-server.ts";
import { type TestRuntime, useStubbedRuntimes, waitUntil } from "./test-runtime.ts";

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

describe("JWT subjects", () => {
  const env = { AGENTRY_AUTH_MODE: "jwt", AGENTRY_JWT_SECRET: JWT_SECRET };

  it("refuses a valid token without a subject, which would share one identity with every such token", async () => {
    const agent = await runtime(env);
    const response = await chat(agent, { authorization: `Bearer ${await token({ sub: undefined })}` });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatchObject({
      code: "TOKEN_SUBJECT_MISSING",
      message: 'the token has no "sub" claim',
    });
    expect(fixture.stub.stats.total).toBe(0);
  });

  it("takes the subject from the configured claim", async () => {
    const agent = await runtime({ ...env, AGENTRY_JWT_SUBJECT_CLAIM: "email" });
    const withEmail = await token({ sub: undefined, email: "ada@example.test" });
    expect((await chat(agent, { authorization: `Bearer ${withEmail}` })).statusCode).toBe(200);
    const subOnly = await token({});
    expect((await chat(agent, { authorization: `Bearer ${subOnly}` })).json().error.code).toBe(
      "TOKEN_SUBJECT_MISSING",
    );
  });
});

describe("failed authentication", () => {
  const env = {
    AGENTRY_AUTH_MODE: "apiKey",
    AGENTRY_API_KEYS: KEY_A,
    AGENTRY_AUTH_FAILURES_PER_MINUTE: "6",
    AGENTRY_AUTH_FAILURE_BURST: "3",
  };
  const from = (agent: TestRuntime, remoteAddress: string, headers: Record<string, string>) =>
    agent.app.inject({ method: "POST", url: "/v1/chat", remoteAddress, headers, payload: { message: "hi" } });

  it("answers 429 with Retry-After once a source has spent its failures, before checking its key", async () => {
    const agent = await runtime(env);
    const wrong = { authorization: "Bearer guessed-key-0000000000" };
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await from(agent, "192.0.2.7", wrong)).statusCode).toBe(401);
    }
    const refused = await from(agent, "192.0.2.7", wrong);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe("RATE_LIMITED");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(9);
    // Even a right key is not checked from that source now: guessing stays blocked.
    expect((await from(agent, "192.0.2.7", { authorization: `Bearer ${KEY_A}` })).statusCode).toBe(429);
    // X-Forwarded-For does not pick another bucket; the peer address does.
    const spoofed = await from(agent, "192.0.2.7", { ...wrong, "x-forwarded-for": "198.51.100.1" });
    expect(spoofed.statusCode).toBe(429);
    expect((await from(agent, "192.0.2.8", { authorization: `Bearer ${KEY_A}` })).statusCode).toBe(200);
  });

  it("does not count successful requests", async () => {
    const agent = await runtime(env);
    for (let attempt = 0; attempt < 6; attempt++) {
      expect((await from(agent, "192.0.2.9", { authorization: `Bearer ${KEY_A}` })).statusCode).toBe(200);
    }
  });
});

describe("JWT with a failing JWKS", () => {
  type Mode = "ok" | "error" | "garbage" | "empty";
  let mode: Mode = "ok";
  let fetches = 0;
  let server: Server;
  let jwksUrl: string;
  let signingKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    signingKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" };
    server = createServer((_req, res) => {
      fetches++;
      if (mode === "error") {
        res.statusCode = 500;
        return res.end("upstream exploded");
      }
      res.setHeader("content-type", "application/json");
      if (mode === "garbage") return res.end("<html>not a key set");
      res.end(JSON.stringify({ keys: mode === "empty" ? [] : [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const signed = (kid = "k1") =>
    new SignJWT({ sub: "alice" })
      .setProtectedHeader({ alg: "ES256", kid })
      .setExpirationTime("5m")
      .sign(signingKey);
  const start = async (initial: Mode) => {
    mode = initial;
    fetches = 0;
    return runtime({ AGENTRY_AUTH_MODE: "jwt", AGENTRY_JWT_JWKS_URL: jwksUrl });
  };

  it.each<Mode>(["error", "garbage", "empty"])(
    "answers 503 AUTH_UNAVAILABLE with Retry-After when the JWKS is %s, without refetching it per request",
    async (failure) => {
      const agent = await start(failure);
      const valid = await signed();
      for (let attempt = 0; attempt < 5; attempt++) {
        const response = await chat(agent, { authorization: `Bearer ${valid}` });
        expect(response.statusCode).toBe(503);
        expect(response.json().error.code).toBe("AUTH_UNAVAILABLE");
        expect(Number(response.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      }
      // Forged tokens with made-up key ids do not make the runtime fetch the JWKS either.
      for (let attempt = 0; attempt < 5; attempt++) {
        const forged = await signed(`forged-${attempt}`);
        expect((await chat(agent, { authorization: `Bearer ${forged}` })).statusCode).toBe(503);
      }
      expect(fetches).toBe(1);
    },
  );

  it("accepts valid tokens again soon after the JWKS recovers from an empty key set", async () => {
    const agent = await start("empty");
    const valid = await signed();
    expect((await chat(agent, { authorization: `Bearer ${valid}` })).statusCode).toBe(503);
    mode = "ok";
    await waitUntil(
      async () => (await chat(agent, { authorization: `Bearer ${valid}` })).statusCode === 200,
      6000,
    );
    // Once keys are cached, forged key ids refetch at most once per cooldown, not per token.
    const before = fetches;
    for (let attempt = 0; attempt < 5; attempt++) {
      const forged = await signed(`forged-${attempt}`);
      expect((await chat(agent, { authorization: `Bearer ${forged}` })).statusCode).toBe(401);
    }
    expect(fetches - before).toBeLessThanOrEqual(1);
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

describe("trace context", () => {
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  it("forwards a valid tracestate", async () => {
    const agent = await runtime();
    await chat(agent, { traceparent, tracestate: "rojo=00f067aa0ba902b7, congo@vendor=t61rcWkgMzE" });
    expect(fixture.stub.requests[0]?.headers.tracestate).toBe(
      "rojo=00f067aa0ba902b7,congo@vendor=t61rcWkgMzE",
    );
  });

  it.each([
    ["over 512 characters", `k=${"v".repeat(600)}`],
    ["over 32 members", Array.from({ length: 33 }, (_, index) => `k${index}=v`).join(",")],
    ["not key=value", "arbitrary bytes here"],
    ["an upper-case key", "Key=v"],
    ["a duplicated key", "k=1,k=2"],
  ])("drops a tracestate that is %s", async (_name, tracestate) => {
    const agent = await runtime();
    const response = await chat(agent, { traceparent, tracestate });
    expect(response.statusCode).toBe(200);
    expect(fixture.stub.requests[0]?.headers.traceparent).toBe(traceparent);
    expect(fixture.stub.requests[0]?.headers.tracestate).toBeUndefined();
  });
});

describe("requests the HTTP parser refuses", () => {
  const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));

  it("answers headers that are too large with 431 in the runtime's error format", async () => {
    const agent = await runtime();
    const url = await agent.listen();
    const answer = await rawExchange(
      url,
      `GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect(answer.startsWith("HTTP/1.1 431 ")).toBe(true);
    expect(bodyOf(answer).error).toMatchObject({ code: "HEADERS_TOO_LARGE", type: "invalid_request_error" });
    expect(bodyOf(answer).error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers a malformed header with 400 in the runtime's error format", async () => {
    const agent = await runtime();
    const url = await agent.listen();
    const answer = await rawExchange(url, "GET /livez HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n");
    expect(answer.startsWith("HTTP/1.1 400 ")).toBe(true);
    expect(bodyOf(answer).error).toMatchObject({
      code: "INVALID_REQUEST",
      message: "the request is not valid HTTP",
    });
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
