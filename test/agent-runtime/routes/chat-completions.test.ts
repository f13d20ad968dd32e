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
