import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { METRIC_NAMES } from "../../../agent-runtime/contract/metric-names.ts";
import { type StubModelServer, startStubModelServer } from "../../support/stub-model-server.ts";
import { metricValue, startTestRuntime, type TestRuntime } from "../test-runtime.ts";

let stub: StubModelServer;
let agent: TestRuntime;

beforeAll(async () => {
  stub = await startStubModelServer();
});
afterAll(() => stub.close());
beforeEach(async () => {
  stub.reset();
  agent = await startTestRuntime({
    AGENTRY_PROVIDER_BASE_URL: stub.url,
    AGENTRY_PROVIDER_MAX_RETRIES: "0",
    AGENTRY_REVISION: "84b2e1",
  });
});
afterEach(() => agent.close());

const scrape = async () => (await agent.app.inject("/metrics")).payload;

describe("/metrics", () => {
  it("exposes the contract metrics, every agentry series labelled with the revision", async () => {
    await agent.app.inject({ method: "POST", url: "/v1/chat", payload: { message: "one two three" } });
    await agent.app.inject({ method: "POST", url: "/v1/chat", payload: {} });
    stub.enqueue({ type: "error", status: 500 });
    await agent.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      payload: { messages: [{ role: "user" }] },
    });

    const response = await agent.app.inject("/metrics");
    expect(response.headers["content-type"]).toContain("text/plain");
    const text = response.payload;
    expect(metricValue(text, 'agentry_requests_total{route="/v1/chat",status="200",revision="84b2e1"}')).toBe(
      1,
    );
    expect(metricValue(text, 'agentry_requests_total{route="/v1/chat",status="400",revision="84b2e1"}')).toBe(
      1,
    );
    expect(
      metricValue(
        text,
        'agentry_requests_total{route="/v1/chat/completions",status="502",revision="84b2e1"}',
      ),
    ).toBe(1);
    expect(
      metricValue(text, 'agentry_request_duration_seconds_count{revision="84b2e1",route="/v1/chat"}'),
    ).toBe(2);
    expect(metricValue(text, 'agentry_llm_requests_total{outcome="success",revision="84b2e1"}')).toBe(1);
    expect(metricValue(text, 'agentry_llm_requests_total{outcome="server_error",revision="84b2e1"}')).toBe(1);
    expect(metricValue(text, 'agentry_llm_tokens_total{kind="prompt",revision="84b2e1"}')).toBe(4);
    expect(metricValue(text, 'agentry_llm_tokens_total{kind="completion",revision="84b2e1"}')).toBe(4);
    expect(text).toContain('agentry_inflight_requests{revision="84b2e1"} 0');

    for (const name of Object.values(METRIC_NAMES)) expect(text).toContain(`# TYPE ${name} `);
    const samples = text.split("\n").filter((line) => line.startsWith("agentry_"));
    expect(samples.length).toBeGreaterThan(10);
    for (const sample of samples) expect(sample).toContain('revision="84b2e1"');
  });

  it("labels every agentry series with the agent when AGENTRY_AGENT is set", async () => {
    const named = await startTestRuntime({
      AGENTRY_PROVIDER_BASE_URL: stub.url,
      AGENTRY_REVISION: "84b2e1",
      AGENTRY_AGENT: "support-bot",
    });
    try {
      await named.app.inject({ method: "POST", url: "/v1/chat", payload: { message: "hi" } });
      const text = (await named.app.inject("/metrics")).payload;
      expect(
        metricValue(
          text,
          'agentry_requests_total{route="/v1/chat",status="200",revision="84b2e1",agent="support-bot"}',
        ),
      ).toBe(1);
      const samples = text.split("\n").filter((line) => line.startsWith("agentry_"));
      for (const sample of samples) expect(sample).toContain('agent="support-bot"');
    } finally {
      await named.close();
    }
    // Without it, no agent label at all (not an empty one).
    expect(await scrape()).not.toContain("agent=");
  });

  it("does not count probes or scrapes as API requests", async () => {
    await agent.app.inject("/livez");
    await agent.app.inject("/readyz");
    await agent.app.inject("/metrics");
    expect(await scrape()).not.toContain("agentry_requests_total{");
  });

  it("counts requests in flight", async () => {
    stub.enqueue({ type: "reply", delayMs: 300 });
    const pending = agent.app.inject({ method: "POST", url: "/v1/chat", payload: { message: "slow" } });
    await expect.poll(async () => metricValue(await scrape(), "agentry_inflight_requests{")).toBe(1);
    await pending;
    expect(metricValue(await scrape(), "agentry_inflight_requests{")).toBe(0);
  });

  it("separates the time the runtime added from the time it waited for the model", async () => {
    stub.enqueue({ type: "reply", delayMs: 300 });
    await agent.app.inject({ method: "POST", url: "/v1/chat", payload: { message: "slow model" } });
    const text = await scrape();
    const bucket = (name: string, le: string) =>
      metricValue(text, `${name}_bucket{le="${le}",revision="84b2e1",route="/v1/chat"}`);
    // The request took at least the model's 300 ms; what the runtime added was far less.
    expect(bucket("agentry_request_duration_seconds", "0.25")).toBe(0);
    expect(bucket("agentry_request_overhead_seconds", "0.25")).toBe(1);
    expect(
      metricValue(text, 'agentry_request_overhead_seconds_count{revision="84b2e1",route="/v1/chat"}'),
    ).toBe(1);
  });
});
