/**
 * The response cache of the real runtime process on a real Redis never hands one caller's or one
 * revision's answer to another: a hit carries the provider's completion id and creation time, and
 * a canary served stable's answers would look exactly as good as stable to every analysis.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import { postJson, useRuntimeProcesses } from "../security/runtime-processes.ts";

const available = redisServerAvailable("runtime process (response cache isolation)");

const KEY_A = "caller-a-key-0123456789";
const KEY_B = "caller-b-key-0123456789";
const question = {
  model: "any",
  temperature: 0,
  messages: [{ role: "user", content: "capital of France?" }],
};

type Completion = { id: string; created: number; choices: { message: { content: string } }[] };

describe.skipIf(!available)("response cache isolation of the runtime process", { timeout: 20_000 }, () => {
  const processes = useRuntimeProcesses();
  const start = (env: Record<string, string> = {}) =>
    processes.start({
      AGENTRY_AUTH_MODE: "apiKey",
      AGENTRY_API_KEYS: `${KEY_A},${KEY_B}`,
      AGENTRY_CACHE_TTL_SECONDS: "60",
      AGENTRY_TEMPERATURE: "0",
      ...env,
    });
  const complete = async (runtime: RuntimeProcess, key: string, headers: Record<string, string> = {}) => {
    const answer = await postJson(`${runtime.url}/v1/chat/completions`, question, {
      authorization: `Bearer ${key}`,
      ...headers,
    });
    expect(answer.status).toBe(200);
    return {
      cache: answer.headers.get("x-agentry-cache"),
      completion: answer.json() as unknown as Completion,
    };
  };
  const chat = async (runtime: RuntimeProcess, key: string) => {
    const answer = await postJson(
      `${runtime.url}/v1/chat`,
      { message: "capital of France?" },
      { authorization: `Bearer ${key}` },
    );
    expect(answer.status).toBe(200);
    return answer.headers.get("x-agentry-cache");
  };

  it("gives a second caller with the same body a fresh completion, never the first caller's", async () => {
    const runtime = await start();
    const a = await complete(runtime, KEY_A);
    expect(a.cache).toBe("miss");
    // A's own repeat is served from the cache, whatever its request id and trace: the cache
    // works, it is only not shared.
    const repeat = await complete(runtime, KEY_A, {
      "x-request-id": "another-request",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    });
    expect(repeat.cache).toBe("hit");
    expect(repeat.completion.id).toBe(a.completion.id);
    expect(processes.stub.stats.total).toBe(1);

    const b = await complete(runtime, KEY_B);
    expect(b.cache).toBe("miss");
    expect(b.completion.id).not.toBe(a.completion.id);
    expect(processes.stub.stats.total).toBe(2);

    expect(await chat(runtime, KEY_A)).toBe("miss");
    expect(await chat(runtime, KEY_A)).toBe("hit");
    expect(await chat(runtime, KEY_B)).toBe("miss");
    expect(processes.stub.stats.total).toBe(4);
  });

  it("never serves one revision's cached answer to another revision on the same Redis and key space", async () => {
    const keySpace = `agentry:cache-test/${randomUUID()}:`;
    const stable = await start({ AGENTRY_REVISION: "rev-stable", AGENTRY_REDIS_KEY_PREFIX: keySpace });
    const stableAgain = await start({ AGENTRY_REVISION: "rev-stable", AGENTRY_REDIS_KEY_PREFIX: keySpace });
    const canary = await start({ AGENTRY_REVISION: "rev-canary", AGENTRY_REDIS_KEY_PREFIX: keySpace });

    const first = await complete(stable, KEY_A);
    // Replicas of one revision share entries...
    const replica = await complete(stableAgain, KEY_A);
    expect(replica.cache).toBe("hit");
    expect(replica.completion.id).toBe(first.completion.id);
    // ...the canary asks its own model.
    const fromCanary = await complete(canary, KEY_A);
    expect(fromCanary.cache).toBe("miss");
    expect(fromCanary.completion.id).not.toBe(first.completion.id);
    expect(processes.stub.stats.total).toBe(2);

    await chat(stable, KEY_A);
    expect(await chat(canary, KEY_A)).toBe("miss");
    expect(processes.stub.stats.total).toBe(4);
  });

  it("with AGENTRY_CACHE_SHARED=true, gives the second caller the first caller's answer, and publishes no private entry", async () => {
    const keySpace = `agentry:cache-test/${randomUUID()}:`;
    const private_ = await start({ AGENTRY_REDIS_KEY_PREFIX: keySpace });
    const shared = await start({ AGENTRY_CACHE_SHARED: "true", AGENTRY_REDIS_KEY_PREFIX: keySpace });

    const privateAnswer = await complete(private_, KEY_A);
    // Turning sharing on does not hand out what A cached while it was off.
    const b = await complete(shared, KEY_B);
    expect(b.cache).toBe("miss");
    expect(b.completion.id).not.toBe(privateAnswer.completion.id);
    const a = await complete(shared, KEY_A);
    expect(a.cache).toBe("hit");
    expect(a.completion).toEqual(b.completion);
    expect(processes.stub.stats.total).toBe(2);
  });
});
