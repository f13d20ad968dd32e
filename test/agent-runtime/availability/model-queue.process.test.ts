/**
 * A model call that waits for one of the AGENTRY_PROVIDER_MAX_CONNECTIONS connections, at the real
 * runtime process: its timeout counts from the call, its caller's hang-up cancels it, and probes
 * and /metrics answer meanwhile.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import { postJson, useRuntimeProcesses } from "../security/runtime-processes.ts";
import { waitUntil } from "../test-runtime.ts";
import { longAnswer, type OpenStream, openStream, scrapeValue, timed } from "./streams.ts";

const available = redisServerAvailable("runtime process (model connection queue)");

const KEYS = ["availability-key-one-0123", "availability-key-two-0123"] as const;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe.skipIf(!available)("a model call waiting for a connection", { timeout: 30_000 }, () => {
  const processes = useRuntimeProcesses();
  let runtime: RuntimeProcess;
  let streams: OpenStream[] = [];

  beforeAll(async () => {
    runtime = await processes.start({
      AGENTRY_AUTH_MODE: "apiKey",
      AGENTRY_API_KEYS: KEYS.join(","),
      AGENTRY_PROVIDER_MAX_CONNECTIONS: "2",
      AGENTRY_PROVIDER_TIMEOUT_SECONDS: "2",
    });
  });
  afterEach(async () => {
    for (const stream of streams) stream.close();
    streams = [];
    // The runtime cancels the model calls of turns whose clients hung up.
    await waitUntil(() => processes.stub.stats.inflight === 0, 5000);
  });

  /** Two streamed turns of the first caller that hold both connections for 20 s. */
  async function takeBothConnections() {
    processes.stub.setDefault({ type: "reply", content: longAnswer(100), chunkDelayMs: 200 });
    streams = [0, 1].map((index) =>
      openStream(`${runtime.url}/v1/chat`, { message: `long ${index}` }, bearer(KEYS[0])),
    );
    await waitUntil(() => processes.stub.stats.inflight === 2, 5000);
  }

  it("times out after AGENTRY_PROVIDER_TIMEOUT_SECONDS counted from the call, while probes and /metrics answer at once", async () => {
    await takeBothConnections();
    const third = timed(() => postJson(`${runtime.url}/v1/chat`, { message: "me too" }, bearer(KEYS[1])));
    for (const path of ["/livez", "/readyz", "/readyz?verbose", "/metrics"]) {
      const { value: status, ms } = await timed(async () => (await fetch(`${runtime.url}${path}`)).status);
      expect(status, path).toBe(200);
      expect(ms, `${path} answered in ${Math.round(ms)} ms`).toBeLessThan(1000);
    }
    const { value: answer, ms } = await third;
    expect(answer.status).toBe(504);
    expect(answer.json().error?.code).toBe("MODEL_TIMEOUT");
    expect(ms).toBeGreaterThan(1900);
    expect(ms, `answered after ${Math.round(ms)} ms`).toBeLessThan(3500);
    // It never reached the model endpoint: both connections were busy all along.
    expect(processes.stub.stats.total).toBe(2);
  });

  it("is cancelled when its caller hangs up, without waiting for a connection", async () => {
    await takeBothConnections();
    const abortedBefore = await scrapeValue(runtime.url, 'agentry_llm_requests_total{outcome="aborted"');
    const hangUp = new AbortController();
    const third = fetch(`${runtime.url}/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(KEYS[1]) },
      body: JSON.stringify({ message: "never mind" }),
      signal: hangUp.signal,
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    hangUp.abort();
    await third;
    // Counted as aborted at once, not when a connection frees up (the streams run for 20 s).
    await waitUntil(
      async () =>
        (await scrapeValue(runtime.url, 'agentry_llm_requests_total{outcome="aborted"')) ===
        abortedBefore + 1,
      1500,
    );
    for (const stream of streams) stream.close();
    await waitUntil(() => processes.stub.stats.inflight === 0, 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processes.stub.stats.total, "the cancelled call was never sent").toBe(2);
  });
});
