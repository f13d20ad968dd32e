import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RedisServerHandle,
  redisServerAvailable,
  startRedisServer,
} from "../../support/redis-server.ts";
import { useStubbedRuntimes } from "../test-runtime.ts";

const API_KEY = "agent-key-0123456789abcdef";
const body = { model: "whatever-the-client-says", messages: [{ role: "user" as const, content: "hello" }] };

const fixture = useStubbedRuntimes();
const { runtime } = fixture;

function dataLines(payload: string): string[] {
  return payload
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice("data: ".length));
}

describe("POST /v1/chat/completions", () => {
  it("passes the body through, with the agent's model", async () => {
    const agent = await runtime();
    const response = await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { ...body, top_p: 0.5, user: "u-1", system_prompt_extension: true },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      object: "chat.completion",
      model: "test-model",
      choices: [{ message: { role: "assistant", content: "echo: hello" } }],
    });
    expect(fixture.stub.requests[0]?.body).toEqual({
      ...body,
      model: "test-model",
      top_p: 0.5,
      user: "u-1",
      system_prompt_extension: true,
    });
  });

  it("works for an unmodified OpenAI SDK client, JSON and streaming, with API-key auth", async () => {
    const agent = await runtime({ AGENTRY_AUTH_MODE: "apiKey", AGENTRY_API_KEYS: API_KEY });
    const url = await agent.listen();
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: API_KEY, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "from the sdk" }],
    });
    expect(completion.choices[0]?.message.content).toBe("echo: from the sdk");
    expect(completion.usage).toEqual({ prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });

    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "streamed via sdk" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe("echo: streamed via sdk");
    expect(usage).toEqual({ prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });

    const anonymous = new OpenAI({ baseURL: `${url}/v1`, apiKey: "wrong-key-0123456789", maxRetries: 0 });
    await expect(anonymous.chat.completions.create(body)).rejects.toMatchObject({ status: 401 });
  });

  it("relays the stream verbatim, hiding the usage chunk the client did not ask for", async () => {
    const agent = await runtime();
    const response = await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { ...body, stream: true },
    });
    const lines = dataLines(response.payload);
    expect(lines.at(-1)).toBe("[DONE]");
    const chunks = lines
      .slice(0, -1)
      .map((line) => JSON.parse(line) as { choices: unknown[]; usage?: unknown });
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
    expect(fixture.stub.requests[0]?.body.stream_options).toEqual({ include_usage: true });
  });

  it("relays the usage chunk when the client asked for it", async () => {
    const agent = await runtime();
    const response = await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { ...body, stream: true, stream_options: { include_usage: true } },
    });
    const chunks = dataLines(response.payload)
      .slice(0, -1)
      .map((line) => JSON.parse(line) as { usage?: { completion_tokens: number } });
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(2);
  });

  it("relays a provider's 4xx as the provider sent it", async () => {
    const agent = await runtime();
    fixture.stub.enqueue({
      type: "error",
      status: 400,
      body: JSON.stringify({
        error: { message: "context too long", type: "invalid_request_error", code: "ctx" },
      }),
    });
    const response = await agent.app.inject({ method: "POST", url: "/v1/chat/completions", payload: body });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { message: "context too long", type: "invalid_request_error", code: "ctx" },
    });
  });

  it("answers 503 with Retry-After when the provider keeps rate limiting", async () => {
    const agent = await runtime();
    fixture.stub.enqueue({ type: "error", status: 429, retryAfter: "7" });
    const response = await agent.app.inject({ method: "POST", url: "/v1/chat/completions", payload: body });
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("7");
    expect(response.json().error.code).toBe("MODEL_UNAVAILABLE");
  });

  it("validates the body", async () => {
    const agent = await runtime();
    const response = await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { messages: [] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.fields).toEqual([
      { path: "messages", message: "needs at least one message" },
    ]);
  });

  it("answers 400, not a stack trace, for a body nested 5,000 deep", async () => {
    const agent = await runtime();
    const payload = `{"messages":[{"role":"user","content":"x","extra":${"[".repeat(5000)}${"]".repeat(5000)}}]}`;
    const response = await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { "content-type": "application/json" },
      payload,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe("INVALID_REQUEST");
    expect(response.payload).not.toContain("    at ");
    expect(fixture.stub.requests).toHaveLength(0);
  });
});

const PROVIDER_KEY = "sk-proj-AbCdEfGh0123456789IjKlMnOpQrStUvWx";

describe("POST /v1/chat/completions provider errors", () => {
  it("answers a provider 401 with 502 MODEL_AUTH_FAILED, without the provider's text", async () => {
    const agent = await runtime({ AGENTRY_PROVIDER_API_KEY: PROVIDER_KEY });
    fixture.stub.enqueue({
      type: "error",
      status: 401,
      body: JSON.stringify({
        error: {
          message: `Incorrect API key provided: ${PROVIDER_KEY.slice(0, 8)}****${PROVIDER_KEY.slice(-12)} for org-Abc123XyZ789.`,
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      }),
    });
    const response = await agent.app.inject({ method: "POST", url: "/v1/chat/completions", payload: body });
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe("MODEL_AUTH_FAILED");
    expect(response.payload).not.toContain(PROVIDER_KEY.slice(-12));
    expect(response.payload).not.toContain("org-Abc123");
    expect(response.payload).not.toContain("Incorrect API key");
  });

  it("answers a provider 403 with 502 MODEL_AUTH_FAILED", async () => {
    const agent = await runtime();
    fixture.stub.enqueue({ type: "error", status: 403, body: '{"error":{"message":"no access"}}' });
    const response = await agent.app.inject({ method: "POST", url: "/v1/chat/completions", payload: body });
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe("MODEL_AUTH_FAILED");
  });

  it("sends a provider's stream error event on without the runtime's key", async () => {
    const agent = await runtime({ AGENTRY_PROVIDER_API_KEY: PROVIDER_KEY });
    fixture.stub.enqueue({
      type: "stream_error",
      body: JSON.stringify({ error: { message: `quota exceeded for ${PROVIDER_KEY.slice(-12)}` } }),
    });
    const response = await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { ...body, stream: true },
    });
    const events = dataLines(response.payload);
    expect(events.at(-1)).toContain("MODEL_BAD_RESPONSE");
    expect(events.at(-1)).toContain("quota exceeded for [redacted]");
    expect(response.payload).not.toContain(PROVIDER_KEY.slice(-12));
  });

  it("relays other 4xx without keys, key fragments, bearer tokens or org ids", async () => {
    const agent = await runtime({ AGENTRY_PROVIDER_API_KEY: PROVIDER_KEY });
    fixture.stub.enqueue({
      type: "error",
      status: 400,
      body: JSON.stringify({
        error: {
          message: `bad request for key ${PROVIDER_KEY.slice(10, 30)} (org-Abc123XyZ789), sk-otherZZZZYYYYXXXX, Bearer zzzzyyyyxxxxwwww`,
          type: "invalid_request_error",
          code: "bad",
        },
      }),
    });
    const response = await agent.app.inject({ method: "POST", url: "/v1/chat/completions", payload: body });
    expect(response.statusCode).toBe(400);
    const relayed = response.json() as { error: { message: string; code: string } };
    expect(relayed.error.code).toBe("bad");
    expect(relayed.error.message).toBe(
      "bad request for key [redacted] (org-[redacted]), sk-[redacted], Bearer [redacted]",
    );
  });
});

describe("POST /v1/chat/completions obeys the agent", () => {
  const greedy = { ...body, max_tokens: 100_000, max_completion_tokens: 100_000, n: 64, temperature: 2 };

  it("clamps max_tokens and n, and keeps the agent's temperature", async () => {
    const agent = await runtime({ AGENTRY_MAX_TOKENS: "64", AGENTRY_TEMPERATURE: "0.2" });
    const response = await agent.app.inject({ method: "POST", url: "/v1/chat/completions", payload: greedy });
    expect(response.statusCode).toBe(200);
    expect(fixture.stub.requests[0]?.body).toMatchObject({
      max_tokens: 64,
      max_completion_tokens: 64,
      n: 1,
      temperature: 0.2,
    });
  });

  it("applies the agent's token limit when the client sets none, and keeps smaller choices", async () => {
    const agent = await runtime({ AGENTRY_MAX_TOKENS: "64", AGENTRY_PASSTHROUGH_MAX_N: "4" });
    await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { ...body, n: 2, temperature: 1.5 },
    });
    await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { ...body, max_completion_tokens: 10, n: 9 },
    });
    expect(fixture.stub.requests[0]?.body).toMatchObject({ max_tokens: 64, n: 2, temperature: 1.5 });
    expect(fixture.stub.requests[1]?.body).toMatchObject({ max_completion_tokens: 10, n: 4 });
    expect(fixture.stub.requests[1]?.body).not.toHaveProperty("max_tokens");
  });

  it("lets the client choose temperature when the agent allows it", async () => {
    const agent = await runtime({
      AGENTRY_TEMPERATURE: "0.2",
      AGENTRY_PASSTHROUGH_ALLOW_TEMPERATURE: "true",
    });
    await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { ...body, temperature: 2 },
    });
    await agent.app.inject({ method: "POST", url: "/v1/chat/completions", payload: body });
    expect(fixture.stub.requests[0]?.body.temperature).toBe(2);
    expect(fixture.stub.requests[1]?.body.temperature).toBe(0.2);
  });

  it("refuses client tools with 400 when the agent forbids them, and passes them by default", async () => {
    const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }];
    const forbidding = await runtime({ AGENTRY_PASSTHROUGH_ALLOW_TOOLS: "false" });
    const refused = await forbidding.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { ...body, tools },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.fields).toEqual([{ path: "tools", message: "not allowed by this agent" }]);
    expect(fixture.stub.requests).toHaveLength(0);

    const allowing = await runtime();
    await allowing.app.inject({ method: "POST", url: "/v1/chat/completions", payload: { ...body, tools } });
    expect(fixture.stub.requests[0]?.body.tools).toEqual(tools);
  });
});

const redisAvailable = redisServerAvailable("POST /v1/chat/completions cache (routes/chat-completions)");

describe.skipIf(!redisAvailable)("POST /v1/chat/completions response cache", () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it("caches temperature-0 requests without tools, and nothing else", async () => {
    const agent = await runtime({ AGENTRY_REDIS_URL: redis.url, AGENTRY_CACHE_TTL_SECONDS: "60" });
    const send = (payload: object) =>
      agent.app.inject({ method: "POST", url: "/v1/chat/completions", payload });
    const deterministic = { ...body, temperature: 0 };
    expect((await send(deterministic)).headers["x-agentry-cache"]).toBe("miss");
    const hit = await send(deterministic);
    expect(hit.headers["x-agentry-cache"]).toBe("hit");
    expect(hit.json().choices[0].message.content).toBe("echo: hello");
    expect(fixture.stub.stats.total).toBe(1);

    expect((await send(body)).headers["x-agentry-cache"]).toBe("bypass");
    expect(
      (await send({ ...deterministic, tools: [{ type: "function", function: { name: "f" } }] })).headers[
        "x-agentry-cache"
      ],
    ).toBe("bypass");
    expect(fixture.stub.stats.total).toBe(3);
  });

  it("answers a cacheable request from the model while Redis is down, counting the look-up as an error", async () => {
    const own = await startRedisServer();
    try {
      const agent = await runtime({ AGENTRY_REDIS_URL: own.url, AGENTRY_CACHE_TTL_SECONDS: "60" });
      await own.kill();
      await expect.poll(() => agent.runtime.redis?.status).not.toBe("ready");
      const response = await agent.app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload: { ...body, temperature: 0 },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers["x-agentry-cache"]).toBe("bypass");
      expect(response.json().choices[0].message.content).toBe("echo: hello");
      const metrics = await agent.deps.metrics.registry.metrics();
      expect(metrics).toContain('agentry_cache_requests_total{result="error",revision="rev-test"} 1');
    } finally {
      await own.stop();
    }
  });
});
