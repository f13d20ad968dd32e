import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RedisServerHandle,
  redisServerAvailable,
  startRedisServer,
} from "../../support/redis-server.ts";
import { useStubbedRuntimes } from "../test-runtime.ts";

const fixture = useStubbedRuntimes();
const { runtime } = fixture;

describe("/livez and /readyz", () => {
  it("/livez answers without touching any dependency", async () => {
    const agent = await runtime({ AGENTRY_PROVIDER_BASE_URL: "http://127.0.0.1:1/v1" });
    const response = await agent.app.inject("/livez");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "ok" });
  });

  it("/readyz says the pod serves, and ?verbose checks the model endpoint without spending tokens", async () => {
    const agent = await runtime();
    const plain = await agent.app.inject("/readyz");
    expect(plain.statusCode).toBe(200);
    expect(plain.json()).toEqual({ ready: true, checks: { lifecycle: { ok: true, detail: "serving" } } });
    const verbose = await agent.app.inject("/readyz?verbose");
    expect(verbose.statusCode).toBe(200);
    expect(verbose.json()).toEqual({
      ready: true,
      checks: {
        model: { ok: true, detail: "HTTP 200" },
        circuitBreaker: { ok: true, detail: "closed" },
        lifecycle: { ok: true, detail: "serving" },
      },
    });
    expect(fixture.stub.stats.total).toBe(0);
  });

  it("/readyz turns 200 once the first attempt to reach Redis failed: an outage at start holds no pod back", async () => {
    const started = performance.now();
    const agent = await runtime({ AGENTRY_REDIS_URL: "redis://127.0.0.1:1" });
    // The runtime factory waits for readiness, as a Service would: about the 2 s connect timeout.
    expect(performance.now() - started).toBeGreaterThan(1500);
    expect((await agent.app.inject("/readyz")).statusCode).toBe(200);
    const verbose = (await agent.app.inject("/readyz?verbose")).json();
    expect(verbose.ready).toBe(true);
    expect(verbose.checks.redis.ok).toBe(false);
  });

  it("/readyz stays 200 with the model endpoint unreachable; ?verbose, metrics and logs say it is down", async () => {
    const agent = await runtime({ AGENTRY_PROVIDER_BASE_URL: "http://127.0.0.1:1/v1" });
    expect((await agent.app.inject("/readyz")).statusCode).toBe(200);
    const verbose = await agent.app.inject("/readyz?verbose");
    expect(verbose.statusCode).toBe(200);
    expect(verbose.json().ready).toBe(true);
    expect(verbose.json().checks.model.ok).toBe(false);
    const metrics = await agent.app.inject("/metrics");
    expect(metrics.payload).toContain('agentry_dependency_up{dependency="model",revision="rev-test"} 0');
    expect(agent.logs.filter((line) => line.msg === "model endpoint unavailable")).toHaveLength(1);
  });

  it("an open breaker fails chats fast with 503 + Retry-After and shows in /readyz", async () => {
    const agent = await runtime({
      AGENTRY_BREAKER_FAILURE_THRESHOLD: "2",
      AGENTRY_BREAKER_COOLDOWN_SECONDS: "30",
    });
    fixture.stub.setDefault({ type: "error", status: 500 });
    const chat = () => agent.app.inject({ method: "POST", url: "/v1/chat", payload: { message: "hi" } });
    expect((await chat()).statusCode).toBe(502);
    expect((await chat()).statusCode).toBe(502);

    const started = performance.now();
    const refused = await chat();
    expect(performance.now() - started).toBeLessThan(100);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBe("30");
    expect(refused.json().error.code).toBe("MODEL_CIRCUIT_OPEN");
    expect(fixture.stub.stats.total).toBe(2);

    // The breaker is this replica's own view of a provider every replica shares: it stays ready.
    const ready = await agent.app.inject("/readyz?verbose");
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.circuitBreaker).toEqual({
      ok: false,
      detail: "open; next trial call in 30 s",
    });
  });
});

const redisAvailable = redisServerAvailable("/readyz with Redis (routes/health)");

describe.skipIf(!redisAvailable)("/readyz with Redis", () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it("?verbose includes a Redis PING, and the gauge says Redis is up", async () => {
    const agent = await runtime({ AGENTRY_REDIS_URL: redis.url });
    const response = await agent.app.inject("/readyz?verbose");
    expect(response.statusCode).toBe(200);
    expect(response.json().checks.redis).toEqual({ ok: true, detail: "PONG" });
    const metrics = await agent.app.inject("/metrics");
    expect(metrics.payload).toContain('agentry_dependency_up{dependency="redis",revision="rev-test"} 1');
  });
});
