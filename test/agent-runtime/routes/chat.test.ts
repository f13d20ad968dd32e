import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseHistory } from "../../../agent-runtime/memory/session-store.ts";
import {
  type RedisServerHandle,
  redisServerAvailable,
  startRedisServer,
} from "../../support/redis-server.ts";
import { type StubModelServer, startStubModelServer } from "../../support/stub-model-server.ts";
import { metricValue, startTestRuntime, type TestRuntime, waitUntil } from "../test-runtime.ts";

const available = redisServerAvailable("POST /v1/chat (routes/chat)");

const JWT_SECRET = "a-shared-secret-of-at-least-32-bytes!";
const jwtFor = (subject: string) =>
  new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(subject)
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(JWT_SECRET));

type SseEvent = { event: string; data: unknown };
function parseSse(payload: string): SseEvent[] {
  return payload
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? "";
      return { event, data: JSON.parse(data) as unknown };
    });
}

describe.skipIf(!available)("POST /v1/chat", () => {
  let redis: RedisServerHandle;
  let stub: StubModelServer;
  let toolServer: Server;
  let toolUrl: string;
  /** What the streaming tool managed to send before the runtime hung up, per request. */
  const streamed: { sent: number; closedEarly: boolean }[] = [];
  const redirectedTo: string[] = [];
  const running: TestRuntime[] = [];

  async function runtime(env: Record<string, string> = {}): Promise<TestRuntime> {
    const started = await startTestRuntime({
      AGENTRY_PROVIDER_BASE_URL: stub.url,
      AGENTRY_REDIS_URL: redis.url,
      AGENTRY_PROVIDER_MAX_RETRIES: "0",
      AGENTRY_SYSTEM_PROMPT: "You are a test agent.",
      ...env,
    });
    running.push(started);
    return started;
  }

  const chat = (app: TestRuntime, body: unknown) =>
    app.app.inject({ method: "POST", url: "/v1/chat", payload: body as object });

  beforeAll(async () => {
    [redis, stub] = await Promise.all([startRedisServer(), startStubModelServer()]);
    toolServer = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (req.url === "/broken") {
        res.statusCode = 500;
        return res.end("index offline");
      }
      if (req.url === "/leaky") {
        res.statusCode = 500;
        return res.end(
          [
            "Error: connection refused",
            "    at connect (/srv/app/db.js:12:7)",
            "DATABASE_URL=postgres://admin:hunter2@db:5432/orders password=hunter2",
            "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123",
            "OPENAI_API_KEY sk-proj-abcdefghijklmnopqrstuvwx",
            "x".repeat(5000),
          ].join("\n"),
        );
      }
      if (req.url === "/redirect") {
        res.writeHead(307, { location: `${toolUrl}/metadata` });
        return res.end();
      }
      if (req.url === "/metadata") {
        redirectedTo.push(req.url);
        return res.end(JSON.stringify({ credentials: "instance-secret" }));
      }
      if (req.url === "/huge") {
        const total = 200 * 1024 * 1024;
        const chunk = Buffer.alloc(64 * 1024, "a");
        const record = { sent: 0, closedEarly: false };
        streamed.push(record);
        res.on("close", () => {
          record.closedEarly = record.sent < total;
        });
        res.setHeader("content-type", "application/json");
        const pump = () => {
          while (record.sent < total && !res.destroyed) {
            record.sent += chunk.length;
            if (!res.write(chunk)) return res.once("drain", pump);
          }
          if (!res.destroyed) res.end();
        };
        return pump();
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ found: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    await new Promise<void>((resolve) => toolServer.listen(0, "127.0.0.1", resolve));
    toolUrl = `http://127.0.0.1:${(toolServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    toolServer?.closeAllConnections();
    toolServer?.close();
    await stub?.close();
    await redis?.stop();
  });
  beforeEach(() => stub.reset());
  afterEach(async () => {
    await Promise.all(running.splice(0).map((entry) => entry.close()));
  });

  describe("memory", () => {
    it("replays the session's history to the model on the next turn", async () => {
      const agent = await runtime();
      const first = await chat(agent, { sessionId: "s1", message: "My name is Ada." });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({
        sessionId: "s1",
        message: { role: "assistant", content: "echo: My name is Ada." },
        toolCalls: [],
        cached: false,
      });
      expect(first.headers["x-request-id"]).toBeTruthy();

      await chat(agent, { sessionId: "s1", message: "What is my name?" });
      expect(stub.requests.at(-1)?.body.messages).toEqual([
        { role: "system", content: "You are a test agent." },
        { role: "user", content: "My name is Ada." },
        { role: "assistant", content: "echo: My name is Ada." },
        { role: "user", content: "What is my name?" },
      ]);
      expect(stub.requests.at(-1)?.body.model).toBe("test-model");
    });

    it("does not let one session id spoil another's keys (abc:index before abc)", async () => {
      const agent = await runtime();
      for (const message of ["first", "second"]) {
        expect((await chat(agent, { sessionId: "abc:index", message })).statusCode).toBe(200);
      }
      const plain = await chat(agent, { sessionId: "abc", message: "mine" });
      expect(plain.statusCode).toBe(200);
      expect(stub.requests.at(-1)?.body.messages?.map((message) => message.content)).toEqual([
        "You are a test agent.",
        "mine",
      ]);
      await chat(agent, { sessionId: "abc:index", message: "third" });
      expect(stub.requests.at(-1)?.body.messages?.map((message) => message.content)).toEqual([
        "You are a test agent.",
        "first",
        "echo: first",
        "second",
        "echo: second",
        "third",
      ]);
    });

    it.each<{ mode: string; env: Record<string, string>; credentials: () => Promise<string[]> }>([
      {
        mode: "API keys",
        env: { AGENTRY_AUTH_MODE: "apiKey", AGENTRY_API_KEYS: "alice-key-0123456789,bob-key-0123456789ab" },
        credentials: async () => ["alice-key-0123456789", "bob-key-0123456789ab"],
      },
      {
        mode: "JWT subjects",
        env: { AGENTRY_AUTH_MODE: "jwt", AGENTRY_JWT_SECRET: JWT_SECRET },
        credentials: async () => [await jwtFor("alice"), await jwtFor("bob")],
      },
    ])("gives each principal its own session under the same id ($mode)", async ({ env, credentials }) => {
      const agent = await runtime(env);
      const [alice, bob] = await credentials();
      const as = (token: string | undefined, message: string) =>
        agent.app.inject({
          method: "POST",
          url: "/v1/chat",
          headers: { authorization: `Bearer ${token}` },
          payload: { sessionId: "support-1", message },
        });
      expect((await as(alice, "my card ends in 4242")).statusCode).toBe(200);

      const other = await as(bob, "what did I say?");
      expect(other.statusCode).toBe(200);
      expect(stub.requests.at(-1)?.body.messages?.map((message) => message.content)).toEqual([
        "You are a test agent.",
        "what did I say?",
      ]);

      await as(alice, "and my name?");
      expect(stub.requests.at(-1)?.body.messages?.map((message) => message.content)).toEqual([
        "You are a test agent.",
        "my card ends in 4242",
        "echo: my card ends in 4242",
        "and my name?",
      ]);
    });

    it("keeps requests without sessionId stateless", async () => {
      const agent = await runtime();
      await chat(agent, { message: "one" });
      await chat(agent, { message: "two" });
      expect(stub.requests.at(-1)?.body.messages).toHaveLength(2);
    });

    it("sends at most maxHistoryMessages of history", async () => {
      const agent = await runtime({ AGENTRY_MEMORY_MAX_HISTORY_MESSAGES: "2" });
      for (const message of ["one", "two", "three"]) await chat(agent, { sessionId: "s", message });
      await chat(agent, { sessionId: "s", message: "four" });
      const contents = stub.requests.at(-1)?.body.messages?.map((message) => message.content);
      expect(contents).toEqual(["You are a test agent.", "three", "echo: three", "four"]);
    });

    it("loses no turn when 10 turns on one session run concurrently", async () => {
      const agent = await runtime();
      stub.setDefault({ type: "reply", delayMs: 30 });
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, turn) => chat(agent, { sessionId: "busy", message: `turn ${turn}` })),
      );
      expect(responses.map((response) => response.statusCode)).toEqual(Array(10).fill(200));
      const history = parseHistory((await agent.deps.sessions?.load(undefined, "busy")) ?? "");
      expect(history).toHaveLength(20);
      for (let turn = 0; turn < 10; turn++) {
        const index = history.findIndex((message) => message.content === `turn ${turn}`);
        expect(index).toBeGreaterThanOrEqual(0);
        expect(history[index + 1]).toEqual({ role: "assistant", content: `echo: turn ${turn}` });
      }
    });

    it("refuses sessionId with 400 when no Redis is configured", async () => {
      const agent = await runtime({ AGENTRY_REDIS_URL: "" });
      const response = await chat(agent, { sessionId: "s", message: "hi" });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe("SESSIONS_DISABLED");
      expect((await chat(agent, { message: "hi" })).statusCode).toBe(200);
    });
  });

  describe("session limits", () => {
    it("refuses a message larger than a session stores, before calling the model", async () => {
      const agent = await runtime({ AGENTRY_MEMORY_MAX_MESSAGE_BYTES: "1000" });
      const response = await chat(agent, { sessionId: "big", message: "x".repeat(2000) });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({
        code: "INVALID_REQUEST",
        fields: [{ path: "message", message: "at most 1000 bytes in a session turn" }],
      });
      expect(stub.requests).toHaveLength(0);
      // Without a session nothing is stored, so only the body limit applies.
      expect((await chat(agent, { message: "x".repeat(2000) })).statusCode).toBe(200);
    });

    it("sends the model no more history than the byte limit, however many turns", async () => {
      const agent = await runtime({
        AGENTRY_MEMORY_MAX_HISTORY_BYTES: "3000",
        AGENTRY_MEMORY_MAX_MESSAGE_BYTES: "1000",
      });
      for (let turn = 0; turn < 8; turn++) {
        const response = await chat(agent, { sessionId: "long", message: `${turn}`.padEnd(900, "x") });
        expect(response.statusCode).toBe(200);
      }
      const messages = stub.requests.at(-1)?.body.messages ?? [];
      const history = messages.slice(1, -1);
      expect(history.length).toBeGreaterThan(0);
      expect(history[0]).toMatchObject({ role: "user" });
      expect(JSON.stringify(history).length).toBeLessThanOrEqual(3000);
      const stored = (await agent.deps.sessions?.load(null, "long")) ?? "";
      expect(stored.length).toBeLessThanOrEqual(3000);
      expect(parseHistory(stored).at(-1)?.content).toBe(`echo: ${"7".padEnd(900, "x")}`);
    });

    it("limits the live sessions of one caller, not of others", async () => {
      const agent = await runtime({
        AGENTRY_AUTH_MODE: "jwt",
        AGENTRY_JWT_SECRET: JWT_SECRET,
        AGENTRY_MEMORY_MAX_SESSIONS_PER_CALLER: "2",
      });
      const as = async (subject: string, sessionId: string) =>
        agent.app.inject({
          method: "POST",
          url: "/v1/chat",
          headers: { authorization: `Bearer ${await jwtFor(subject)}` },
          payload: { sessionId, message: "hi" },
        });
      expect((await as("alice", "s1")).statusCode).toBe(200);
      expect((await as("alice", "s2")).statusCode).toBe(200);
      const refused = await as("alice", "s3");
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.code).toBe("SESSION_LIMIT_REACHED");
      expect((await as("alice", "s1")).statusCode).toBe(200);
      expect((await as("bob", "s3")).statusCode).toBe(200);
      expect(stub.requests).toHaveLength(4);
    });
  });

  describe("tools", () => {
    const tools = (path = "/lookup") =>
      JSON.stringify([
        {
          name: "lookup",
          description: "Look things up",
          url: `${toolUrl}${path}`,
          parameters: { type: "object", properties: { q: { type: "string" } } },
        },
      ]);

    it("executes a tool call over HTTP and feeds the result back to the model", async () => {
      const agent = await runtime({ AGENTRY_TOOLS: tools() });
      stub.enqueue({ type: "tool_call", calls: [{ name: "lookup", arguments: { q: "pricing" } }] });
      const response = await chat(agent, { message: "what does it cost?" });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        message: { content: 'tool said: {"found":{"q":"pricing"}}' },
        toolCalls: [{ name: "lookup", ok: true }],
      });
      const [first, second] = stub.requests;
      expect(first?.body.tools).toEqual([
        {
          type: "function",
          function: {
            name: "lookup",
            description: "Look things up",
            parameters: { type: "object", properties: { q: { type: "string" } } },
          },
        },
      ]);
      const messages = second?.body.messages ?? [];
      const toolMessage = messages.at(-1);
      expect(messages.at(-2)).toMatchObject({
        role: "assistant",
        tool_calls: [{ function: { name: "lookup" } }],
      });
      expect(toolMessage).toMatchObject({ role: "tool", content: '{"found":{"q":"pricing"}}' });
      expect(toolMessage?.tool_call_id).toBe(
        (messages.at(-2) as { tool_calls?: { id: string }[] }).tool_calls?.[0]?.id,
      );
    });

    it("feeds a failing tool's error back instead of failing the request", async () => {
      const agent = await runtime({ AGENTRY_TOOLS: tools("/broken") });
      stub.enqueue({ type: "tool_call", calls: [{ name: "lookup", arguments: { q: "x" } }] });
      const response = await chat(agent, { message: "look it up" });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        message: { content: "tool said: error: the tool answered HTTP 500: index offline" },
        toolCalls: [{ name: "lookup", ok: false }],
      });
    });

    it("does not follow a tool's redirect", async () => {
      const agent = await runtime({ AGENTRY_TOOLS: tools("/redirect") });
      stub.enqueue({ type: "tool_call", calls: [{ name: "lookup", arguments: { q: "x" } }] });
      const response = await chat(agent, { message: "look it up" });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ toolCalls: [{ name: "lookup", ok: false }] });
      expect(response.json().message.content).toContain("HTTP 307");
      expect(response.payload).not.toContain("instance-secret");
      expect(redirectedTo).toEqual([]);
    });

    it("stops reading a huge tool answer at the cap and hangs up", async () => {
      const agent = await runtime({ AGENTRY_TOOLS: tools("/huge") });
      stub.enqueue({ type: "tool_call", calls: [{ name: "lookup", arguments: { q: "x" } }] });
      const response = await chat(agent, { message: "fetch everything" });
      expect(response.statusCode).toBe(200);
      const toolMessage = stub.requests.at(-1)?.body.messages?.at(-1) as { content: string };
      expect(toolMessage.content).toMatch(/^a{16384}\n\[truncated at 16384 bytes\]$/);
      await waitUntil(() => streamed.length === 1 && streamed[0]?.closedEarly === true);
      // Socket buffers hold a few megabytes at most; the other ~200 MB were never sent.
      expect(streamed[0]?.sent).toBeLessThan(32 * 1024 * 1024);
    });

    it("shows the model a short, redacted excerpt of a tool's error page", async () => {
      const agent = await runtime({ AGENTRY_TOOLS: tools("/leaky") });
      stub.enqueue({ type: "tool_call", calls: [{ name: "lookup", arguments: { q: "x" } }] });
      const response = await chat(agent, { message: "look it up" });
      expect(response.statusCode).toBe(200);
      const toolMessage = stub.requests.at(-1)?.body.messages?.at(-1) as { content: string };
      expect(toolMessage.content).toMatch(/^error: the tool answered HTTP 500: Error: connection refused/);
      expect(toolMessage.content.length).toBeLessThanOrEqual(250);
      for (const secret of ["hunter2", "abcdefghijklmnopqrstuvwxyz0123", "sk-proj-abcdefghijkl"]) {
        expect(toolMessage.content).not.toContain(secret);
        expect(response.payload).not.toContain(secret);
      }
      expect(response.payload).not.toContain("xxxxxxxxxx".repeat(30));
    });

    it("stops after maxToolRounds; a model that asks for tools anyway and says nothing has not answered", async () => {
      const agent = await runtime({ AGENTRY_TOOLS: tools(), AGENTRY_MAX_TOOL_ROUNDS: "2" });
      stub.setDefault({ type: "tool_call", calls: [{ name: "lookup", arguments: { q: "again" } }] });
      const response = await chat(agent, { message: "loop forever" });
      expect(response.statusCode).toBe(502);
      expect(response.json().error.code).toBe("MODEL_BAD_RESPONSE");
      expect(stub.requests.map((request) => request.body.tool_choice)).toEqual(["auto", "auto", "none"]);
    });
  });

  describe("streaming", () => {
    it("answers as server-sent events and saves the turn", async () => {
      const agent = await runtime();
      const response = await chat(agent, { sessionId: "st", message: "stream this please", stream: true });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toContain("text/event-stream");
      const events = parseSse(response.payload);
      const deltas = events.filter((event) => event.event === "delta");
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.map((event) => (event.data as { content: string }).content).join("")).toBe(
        "echo: stream this please",
      );
      expect(events.at(-1)).toMatchObject({
        event: "done",
        data: { sessionId: "st", message: { content: "echo: stream this please" } },
      });
      expect(parseHistory((await agent.deps.sessions?.load(undefined, "st")) ?? "")).toHaveLength(2);
    });

    it("reports tool calls as events between the deltas", async () => {
      const agent = await runtime({
        AGENTRY_TOOLS: JSON.stringify([{ name: "lookup", url: `${toolUrl}/lookup` }]),
      });
      stub.enqueue({ type: "tool_call", calls: [{ name: "lookup", arguments: { q: "streamed" } }] });
      const events = parseSse((await chat(agent, { message: "go", stream: true })).payload);
      expect(events.map((event) => event.event)).toContain("tool");
      expect(events.find((event) => event.event === "tool")?.data).toEqual({ name: "lookup", ok: true });
      expect(events.at(-1)?.data).toMatchObject({
        message: { content: 'tool said: {"found":{"q":"streamed"}}' },
      });
    });

    it("answers a plain HTTP error when the model fails before the first byte", async () => {
      const agent = await runtime();
      stub.enqueue({ type: "error", status: 500 });
      const response = await chat(agent, { message: "x", stream: true });
      expect(response.statusCode).toBe(502);
      expect(response.json().error.code).toBe("MODEL_ERROR");
    });

    const PROVIDER_KEY = "sk-proj-AbCdEfGh0123456789IjKlMnOpQrStUvWx";
    const echoing400 = (secret: string) =>
      JSON.stringify({
        error: {
          message: `Invalid input "${secret}" for key ${PROVIDER_KEY.slice(-12)}`,
          type: "invalid_request_error",
          code: "invalid_value",
        },
      });

    // A 404 of the agent's model: the revision's error, logged (a caller's 400 is answered, not logged).
    it("logs a provider error's status, code and type, not its text", async () => {
      const agent = await runtime({ AGENTRY_PROVIDER_API_KEY: PROVIDER_KEY });
      stub.enqueue({ type: "error", status: 404, body: echoing400("my private diary") });
      const response = await chat(agent, { message: "my private diary" });
      expect(response.statusCode).toBe(502);
      const logged = JSON.stringify(agent.logs);
      expect(logged).not.toContain("private diary");
      expect(logged).not.toContain(PROVIDER_KEY.slice(-12));
      expect(agent.logs).toContainEqual(
        expect.objectContaining({
          code: "MODEL_REQUEST_REJECTED",
          upstream: { status: 404, code: "invalid_value", type: "invalid_request_error" },
        }),
      );
    });

    it("logs a provider's stream error event without its text", async () => {
      const agent = await runtime();
      stub.enqueue({
        type: "stream_error",
        body: JSON.stringify({ error: { message: "cannot answer: my private diary" } }),
      });
      const response = await chat(agent, { message: "my private diary", stream: true });
      expect(response.payload).toContain("MODEL_BAD_RESPONSE");
      expect(JSON.stringify(agent.logs)).not.toContain("private diary");
    });

    it("does not show the client a stream error event's copy of the runtime's own provider key", async () => {
      const agent = await runtime({ AGENTRY_PROVIDER_API_KEY: "sk-runtime-secret-0123456789" });
      stub.enqueue({
        type: "stream_error",
        body: JSON.stringify({ error: { message: "key runtime-secret-0123 is over quota, org-AbCdEf123" } }),
      });
      const response = await chat(agent, { message: "hi", stream: true });
      expect(response.payload).toContain("MODEL_BAD_RESPONSE");
      expect(response.payload).not.toContain("runtime-secret");
      expect(response.payload).not.toContain("org-AbCdEf123");
    });

    it("logs the provider's text when content logging is on", async () => {
      const agent = await runtime({ AGENTRY_LOG_CONTENT: "true" });
      stub.enqueue({ type: "error", status: 404, body: echoing400("logged on purpose") });
      await chat(agent, { message: "logged on purpose" });
      expect(JSON.stringify(agent.logs)).toContain("logged on purpose");
    });

    it("ends with an error event when the model dies mid-stream, and saves nothing", async () => {
      const agent = await runtime();
      stub.enqueue({ type: "reply", content: "one two three four", dropAfterChunks: 2, chunkDelayMs: 20 });
      const response = await chat(agent, { sessionId: "broken", message: "x", stream: true });
      const events = parseSse(response.payload);
      expect(events.at(0)?.event).toBe("delta");
      expect(events.at(-1)?.event).toBe("error");
      expect(await agent.deps.sessions?.load(undefined, "broken")).toBe("");
    });
  });

  describe("client disconnect", () => {
    function postAndHangUp(url: string, body: object, hangUpWhen: () => boolean): Promise<void> {
      return new Promise((resolve) => {
        const request = httpRequest(`${url}/v1/chat`, {
          method: "POST",
          headers: { "content-type": "application/json" },
        });
        request.on("error", () => resolve());
        request.on("response", (response) => response.on("data", () => {}));
        request.end(JSON.stringify(body));
        const timer = setInterval(() => {
          if (!hangUpWhen()) return;
          clearInterval(timer);
          request.destroy();
          resolve();
        }, 10);
      });
    }

    it("aborts the model call when the client disconnects while waiting", async () => {
      const agent = await runtime();
      const url = await agent.listen();
      stub.enqueue({ type: "hang" });
      await postAndHangUp(url, { message: "slow one" }, () => stub.stats.inflight === 1);
      await expect.poll(() => stub.stats.aborted, { timeout: 3000 }).toBe(1);
      await expect
        .poll(async () =>
          metricValue(
            await agent.deps.metrics.registry.metrics(),
            'agentry_llm_requests_total{outcome="aborted"',
          ),
        )
        .toBe(1);
      const metrics = await agent.deps.metrics.registry.metrics();
      expect(metricValue(metrics, 'agentry_requests_total{route="/v1/chat",status="499"')).toBe(1);
    });

    it("aborts a streaming model call when the client disconnects mid-stream", async () => {
      const agent = await runtime();
      const url = await agent.listen();
      stub.enqueue({ type: "reply", content: "a b c d e f g h i j k l m n o p", chunkDelayMs: 100 });
      await postAndHangUp(
        url,
        { sessionId: "gone", message: "stream", stream: true },
        () => stub.stats.inflight === 1,
      );
      await expect.poll(() => stub.stats.aborted, { timeout: 3000 }).toBe(1);
      expect(await agent.deps.sessions?.load(undefined, "gone")).toBe("");
    });
  });

  describe("validation", () => {
    it("answers 400 with every field error", async () => {
      const agent = await runtime();
      const response = await chat(agent, { sessionId: "bad id!", message: 42, stream: "yes", extra: true });
      expect(response.statusCode).toBe(400);
      const { error } = response.json();
      expect(error.code).toBe("INVALID_REQUEST");
      expect(error.fields.map((field: { path: string }) => field.path).sort()).toEqual([
        "(body)",
        "message",
        "sessionId",
        "stream",
      ]);
      expect(stub.stats.total).toBe(0);
    });

    it("answers 400 for malformed JSON", async () => {
      const agent = await runtime();
      const response = await agent.app.inject({
        method: "POST",
        url: "/v1/chat",
        headers: { "content-type": "application/json" },
        payload: '{"message": ',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe("INVALID_REQUEST");
    });

    it("answers 400, not a stack trace, for a body nested 5,000 deep", async () => {
      const agent = await runtime();
      const response = await agent.app.inject({
        method: "POST",
        url: "/v1/chat",
        headers: { "content-type": "application/json" },
        payload: `{"message":"x","extra":${"[".repeat(5000)}${"]".repeat(5000)}}`,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe("INVALID_REQUEST");
      expect(response.json().error.message).toBe("the JSON body nests deeper than 64 levels");
      expect(stub.stats.total).toBe(0);
    });

    it("answers 413 for a body over the limit, without calling the model", async () => {
      const agent = await runtime({ AGENTRY_MAX_BODY_BYTES: "1024" });
      const response = await chat(agent, { message: "x".repeat(2000) });
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe("PAYLOAD_TOO_LARGE");
      expect(stub.stats.total).toBe(0);
    });

    it("answers 415 for a body that is not JSON", async () => {
      const agent = await runtime();
      const response = await agent.app.inject({
        method: "POST",
        url: "/v1/chat",
        headers: { "content-type": "text/plain" },
        payload: "hello",
      });
      expect(response.statusCode).toBe(415);
    });
  });

  describe("response cache", () => {
    it("serves a repeated deterministic request from Redis", async () => {
      const agent = await runtime({ AGENTRY_TEMPERATURE: "0", AGENTRY_CACHE_TTL_SECONDS: "60" });
      const first = await chat(agent, { message: "capital of France?" });
      const second = await chat(agent, { message: "capital of France?" });
      expect(first.headers["x-agentry-cache"]).toBe("miss");
      expect(second.headers["x-agentry-cache"]).toBe("hit");
      expect(second.json()).toEqual({ ...first.json(), cached: true });
      expect(stub.stats.total).toBe(1);
      expect(stub.requests[0]?.body.temperature).toBe(0);
    });

    it("shares entries between replicas", async () => {
      const env = {
        AGENTRY_TEMPERATURE: "0",
        AGENTRY_CACHE_TTL_SECONDS: "60",
        AGENTRY_REDIS_KEY_PREFIX: "shared:",
      };
      const [a, b] = [await runtime(env), await runtime(env)];
      await chat(a, { message: "same question" });
      expect((await chat(b, { message: "same question" })).headers["x-agentry-cache"]).toBe("hit");
    });

    it("never caches session turns or non-zero temperature", async () => {
      const cachedAgent = await runtime({ AGENTRY_TEMPERATURE: "0", AGENTRY_CACHE_TTL_SECONDS: "60" });
      await chat(cachedAgent, { sessionId: "s", message: "q" });
      await chat(cachedAgent, { sessionId: "s", message: "q" });
      const warmAgent = await runtime({ AGENTRY_TEMPERATURE: "0.7", AGENTRY_CACHE_TTL_SECONDS: "60" });
      await chat(warmAgent, { message: "q" });
      const again = await chat(warmAgent, { message: "q" });
      expect(again.headers["x-agentry-cache"]).toBe("bypass");
      expect(stub.stats.total).toBe(4);
    });
  });
});
