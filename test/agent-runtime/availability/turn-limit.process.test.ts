/**
 * Concurrent turns at the real runtime process: past AGENTRY_MAX_CONCURRENT_TURNS_PER_CALLER a
 * caller's turn gets 429 at once, past AGENTRY_MAX_CONCURRENT_TURNS anyone's gets 503, both with
 * Retry-After and counted; a turn that ends or whose client hangs up frees its place.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import { postJson, useRuntimeProcesses } from "../security/runtime-processes.ts";
import { waitUntil } from "../test-runtime.ts";
import { longAnswer, type OpenStream, openStream, scrapeValue, timed } from "./streams.ts";

const available = redisServerAvailable("runtime process (turn limits)");

const KEYS = ["turn-limit-key-one-0123", "turn-limit-key-two-0123"] as const;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe.skipIf(!available)("concurrent turns at the runtime process", { timeout: 30_000 }, () => {
  const processes = useRuntimeProcesses();
  let runtime: RuntimeProcess;
  let streams: OpenStream[] = [];

  beforeAll(async () => {
    runtime = await processes.start({
      AGENTRY_AUTH_MODE: "apiKey",
      AGENTRY_API_KEYS: KEYS.join(","),
      AGENTRY_MAX_CONCURRENT_TURNS: "3",
      AGENTRY_MAX_CONCURRENT_TURNS_PER_CALLER: "2",
    });
  });
  afterEach(async () => {
    for (const stream of streams) stream.close();
    streams = [];
    await waitUntil(() => processes.stub.stats.inflight === 0, 5000);
  });

  const open = (key: string, route = "/v1/chat") => {
    const body =
      route === "/v1/chat" ? { message: "long" } : { messages: [{ role: "user", content: "long" }] };
    const stream = openStream(`${runtime.url}${route}`, body, bearer(key));
    streams.push(stream);
    return stream;
  };
  const refused = (name: string) => scrapeValue(runtime.url, `agentry_turns_refused_total{limit="${name}"`);

  it("refuses a caller's turn past its limit with 429 and anyone's past the replica's with 503, at once", async () => {
    processes.stub.setDefault({ type: "reply", content: longAnswer(100), chunkDelayMs: 200 });
    open(KEYS[0]);
    open(KEYS[0], "/v1/chat/completions");
    await waitUntil(() => processes.stub.stats.inflight === 2, 5000);

    const callerRefusal = await timed(() =>
      postJson(`${runtime.url}/v1/chat`, { message: "a third" }, bearer(KEYS[0])),
    );
    expect(callerRefusal.value.status).toBe(429);
    expect(callerRefusal.value.json().error?.code).toBe("CALLER_TURN_LIMIT_REACHED");
    expect(callerRefusal.value.headers.get("retry-after")).toBe("1");
    expect(callerRefusal.ms).toBeLessThan(1000);

    open(KEYS[1]);
    await waitUntil(() => processes.stub.stats.inflight === 3, 5000);
    const replicaRefusal = await timed(() =>
      postJson(
        `${runtime.url}/v1/chat/completions`,
        { messages: [{ role: "user", content: "hi" }] },
        bearer(KEYS[1]),
      ),
    );
    expect(replicaRefusal.value.status).toBe(503);
    expect(replicaRefusal.value.json().error?.code).toBe("TURN_LIMIT_REACHED");
    expect(replicaRefusal.value.headers.get("retry-after")).toBe("1");
    expect(replicaRefusal.ms).toBeLessThan(1000);

    expect(await refused("caller")).toBe(1);
    expect(await refused("replica")).toBe(1);
    expect((await fetch(`${runtime.url}/livez`)).status).toBe(200);
    expect(processes.stub.stats.total, "refused turns never reach the model").toBe(3);
  });

  it("frees a turn's place when its client hangs up or it ends", async () => {
    processes.stub.setDefault({ type: "reply", content: longAnswer(100), chunkDelayMs: 200 });
    const first = open(KEYS[0]);
    open(KEYS[0]);
    open(KEYS[1]);
    await waitUntil(() => processes.stub.stats.inflight === 3, 5000);
    expect((await postJson(`${runtime.url}/v1/chat`, { message: "full" }, bearer(KEYS[1]))).status).toBe(503);

    first.close();
    await waitUntil(() => processes.stub.stats.inflight === 2, 5000);
    processes.stub.setDefault({ type: "reply" });
    for (let turn = 0; turn < 3; turn++) {
      // One place is free, for either caller; each short turn gives it back as it ends.
      const answer = await postJson(`${runtime.url}/v1/chat`, { message: `turn ${turn}` }, bearer(KEYS[0]));
      expect(answer.status).toBe(200);
    }
  });
});
