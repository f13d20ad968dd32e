/**
 * The runtime as a real process (`node agent-runtime/server.ts`): start-up config errors, graceful
 * drain on SIGTERM, a rate limit shared by two replicas, and surviving a Redis outage.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RedisServerHandle, redisServerAvailable, startRedisServer } from "../support/redis-server.ts";
import { type RuntimeProcess, SERVER_ENTRY, startRuntimeProcess } from "../support/runtime-process.ts";
import { type StubModelServer, startStubModelServer } from "../support/stub-model-server.ts";
import { waitUntil } from "./test-runtime.ts";

describe("start-up", () => {
  it("refuses to start on a bad environment, listing every problem at once", async () => {
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: { PATH: process.env.PATH ?? "", AGENTRY_TEMPERATURE: "hot", AGENTRY_AUTH_MODE: "apiKey" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("invalid runtime configuration");
    expect(stderr).toContain("AGENTRY_MODEL");
    expect(stderr).toContain("AGENTRY_TEMPERATURE");
    expect(stderr).toContain("AGENTRY_API_KEYS");
  });
});

const available = redisServerAvailable("runtime process (server)");

describe.skipIf(!available)("runtime process", () => {
  let redis: RedisServerHandle;
  let stub: StubModelServer;
  const processes: RuntimeProcess[] = [];

  async function start(env: Record<string, string> = {}): Promise<RuntimeProcess> {
    const runtime = await startRuntimeProcess({
      AGENTRY_MODEL: "test-model",
      AGENTRY_PROVIDER_BASE_URL: stub.url,
      AGENTRY_REDIS_URL: redis.url,
      AGENTRY_REDIS_KEY_PREFIX: `p:${randomUUID()}:`,
      ...env,
    });
    processes.push(runtime);
    // The process listens before Redis is connected; wait until it says it is ready, as a Service would.
    await waitUntil(async () => (await fetch(`${runtime.url}/readyz`)).status === 200, 5000);
    return runtime;
  }

  const post = (runtime: RuntimeProcess, body: object, headers: Record<string, string> = {}) =>
    fetch(`${runtime.url}/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    [redis, stub] = await Promise.all([startRedisServer(), startStubModelServer()]);
  });
  afterAll(async () => {
    await stub?.close();
    await redis?.stop();
  });
  beforeEach(() => stub.reset());
  afterEach(async () => {
    for (const runtime of processes.splice(0)) {
      runtime.child.kill("SIGKILL");
      await runtime.exited;
    }
  });

  it("calls another agent in apiKey mode with that agent's key, sent on that tool's calls only", async () => {
    const callee = await start({
      AGENTRY_AUTH_MODE: "apiKey",
      AGENTRY_API_KEYS: "callee-key-0123456789-one,callee-key-0123456789-two",
    });
    const tools = (credentialEnv?: string) =>
      JSON.stringify([
        {
          name: "ask",
          kind: "agent",
          url: `${callee.url}/v1/chat`,
          ...(credentialEnv ? { credentialEnv } : {}),
        },
      ]);
    const caller = await start({
      AGENTRY_TOOLS: tools("AGENTRY_TOOL_CREDENTIAL_0"),
      AGENTRY_TOOL_CREDENTIAL_0: "callee-key-0123456789-one,callee-key-0123456789-two",
    });
    const anonymous = await start({ AGENTRY_TOOLS: tools() });

    const askThroughTool = async (runtime: RuntimeProcess) => {
      stub.enqueue(
        { type: "tool_call", calls: [{ name: "ask", arguments: { message: "status of order 7?" } }] },
        { type: "reply", content: "callee answer" },
        { type: "reply", content: "done" },
      );
      const response = await post(
        runtime,
        { message: "ask the other agent" },
        { authorization: "Bearer caller-own" },
      );
      expect(response.status).toBe(200);
      // What the model saw as the tool's result, in the last model request of the caller.
      const last = stub.requests.at(-1)?.body as { messages: { role: string; content: string }[] };
      return last.messages.find((message) => message.role === "tool")?.content ?? "";
    };
    expect(await askThroughTool(caller)).toContain("callee answer");
    // Without the credential the callee refuses the call: the tool result is the refusal.
    stub.reset();
    const refused = await askThroughTool(anonymous);
    expect(refused).toContain("401");
  }, 30_000);

  it("on SIGTERM, finishes all 50 in-flight requests, refuses new connections and exits 0", async () => {
    const runtime = await start();
    stub.setDefault({ type: "reply", delayMs: 1500 });
    const inflight = Array.from({ length: 50 }, (_, i) =>
      post(runtime, { sessionId: `drain-${i}`, message: `request ${i}` }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { message?: { content: string } },
      })),
    );
    await waitUntil(() => stub.stats.inflight === 50, 10_000);
    runtime.child.kill("SIGTERM");
    await waitUntil(() => runtime.logs.some((line) => String(line.msg).startsWith("draining")), 2000);
    await expect(fetch(`${runtime.url}/livez`)).rejects.toThrow();

    const results = await Promise.all(inflight);
    expect(results.map((result) => result.status)).toEqual(Array(50).fill(200));
    results.forEach((result, i) => {
      expect(result.body.message?.content).toBe(`echo: request ${i}`);
    });
    expect(await runtime.exited).toEqual({ code: 0, signal: null });
    expect(runtime.logs.some((line) => line.msg === "drained; exiting")).toBe(true);
  }, 30_000);

  it("gives up on requests still running at the shutdown deadline", async () => {
    const runtime = await start({ AGENTRY_SHUTDOWN_DEADLINE_SECONDS: "0.5" });
    stub.setDefault({ type: "hang" });
    const pending = post(runtime, { message: "never answered" }).catch((error: Error) => error);
    await waitUntil(() => stub.stats.inflight === 1);
    const started = Date.now();
    runtime.child.kill("SIGTERM");
    expect((await runtime.exited).code).toBe(1);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await pending).toBeInstanceOf(Error);
  }, 15_000);

  it("enforces one rate limit across two replicas sharing Redis", async () => {
    const shared = {
      AGENTRY_REDIS_KEY_PREFIX: `shared:${randomUUID()}:`,
      AGENTRY_AUTH_MODE: "apiKey",
      AGENTRY_API_KEYS: "replica-test-key-0123456789",
      AGENTRY_RATE_LIMIT_RPM: "6",
      AGENTRY_RATE_LIMIT_BURST: "5",
    };
    const [a, b] = await Promise.all([start(shared), start(shared)]);
    const auth = { authorization: "Bearer replica-test-key-0123456789" };
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await post(
        i % 2 === 0 ? (a as RuntimeProcess) : (b as RuntimeProcess),
        { message: `m${i}` },
        auth,
      );
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
  }, 30_000);

  it("survives Redis being killed and restarted: stays ready, 503 fast for sessions while down, whole again after", async () => {
    const runtime = await start();
    const verbose = async () =>
      (await (await fetch(`${runtime.url}/readyz?verbose`)).json()) as {
        ready: boolean;
        checks: { redis: { ok: boolean } };
      };
    const metric = async () =>
      (await (await fetch(`${runtime.url}/metrics`)).text())
        .split("\n")
        .find((line) => line.startsWith('agentry_dependency_up{dependency="redis"'));
    expect((await post(runtime, { sessionId: "outage", message: "before" })).status).toBe(200);

    await redis.kill();
    await waitUntil(async () => !(await verbose()).checks.redis.ok, 5000);
    // The pod stays in the Service: Redis is down for every replica alike.
    expect((await fetch(`${runtime.url}/readyz`)).status).toBe(200);
    expect((await verbose()).ready).toBe(true);
    expect(await metric()).toMatch(/ 0$/);

    const started = performance.now();
    const refused = await post(runtime, { sessionId: "outage", message: "during" });
    expect(performance.now() - started).toBeLessThan(500);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("REDIS_UNAVAILABLE");
    // A stateless request does not need Redis and still works.
    expect((await post(runtime, { message: "no session" })).status).toBe(200);

    await redis.restart();
    await waitUntil(async () => (await verbose()).checks.redis.ok, 10_000);
    expect(await metric()).toMatch(/ 1$/);
    expect((await post(runtime, { sessionId: "outage", message: "after" })).status).toBe(200);
    expect(runtime.child.exitCode).toBeNull();
    // Logs are flushed in batches, at least every LOG_FLUSH_INTERVAL_MS.
    await expect.poll(() => runtime.logs.some((line) => line.msg === "redis connection restored")).toBe(true);
    expect(runtime.logs.filter((line) => line.msg === "redis connection lost; reconnecting")).toHaveLength(1);
  }, 30_000);
});
