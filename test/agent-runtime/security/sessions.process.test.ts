/**
 * Session limits of the real runtime process on a real Redis: history capped by bytes, a message's
 * size, and live sessions per caller.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import { postJson, useRuntimeProcesses } from "./runtime-processes.ts";

const available = redisServerAvailable("runtime process (sessions)");

const KEY_A = "caller-a-key-0123456789";
const KEY_B = "caller-b-key-0123456789";
const MAX_HISTORY_BYTES = 4096;
const MAX_MESSAGE_BYTES = 1024;

describe.skipIf(!available)("session limits of the runtime process", { timeout: 15_000 }, () => {
  const processes = useRuntimeProcesses();
  let runtime: RuntimeProcess;

  beforeAll(async () => {
    runtime = await processes.start({
      AGENTRY_AUTH_MODE: "apiKey",
      AGENTRY_API_KEYS: `${KEY_A},${KEY_B}`,
      AGENTRY_MEMORY_MAX_HISTORY_BYTES: String(MAX_HISTORY_BYTES),
      AGENTRY_MEMORY_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
      AGENTRY_MEMORY_MAX_SESSIONS_PER_CALLER: "2",
    });
  });

  const turn = (key: string, sessionId: string | undefined, message: string) =>
    postJson(`${runtime.url}/v1/chat`, { sessionId, message }, { authorization: `Bearer ${key}` });

  it("sends the model at most the history byte cap, however many large turns came before", async () => {
    for (let index = 0; index < 8; index++) {
      const answer = await turn(KEY_A, "long-talk", `${index}:${"w".repeat(1000)}`);
      expect(answer.status).toBe(200);
    }
    const lastCall = processes.stub.requests.at(-1)?.body.messages ?? [];
    const history = lastCall.slice(0, -1);
    // The newest complete turn is kept; the older ones are trimmed.
    expect(history.map((message) => String(message.content).slice(0, 8))).toEqual(["6:wwwwww", "echo: 6:"]);
    expect(history.map((message) => JSON.stringify(message)).join(",").length).toBeLessThanOrEqual(
      MAX_HISTORY_BYTES,
    );
  });

  it("refuses a session message over the size cap before calling the model", async () => {
    const answer = await turn(KEY_A, "long-talk", "x".repeat(MAX_MESSAGE_BYTES + 1));
    expect(answer.status).toBe(400);
    expect(answer.json().error).toMatchObject({
      code: "INVALID_REQUEST",
      fields: [{ path: "message", message: `at most ${MAX_MESSAGE_BYTES} bytes in a session turn` }],
    });
    expect(processes.stub.requests).toHaveLength(0);
  });

  it("limits live sessions per caller, not across callers", async () => {
    expect((await turn(KEY_B, "b-1", "first")).status).toBe(200);
    expect((await turn(KEY_B, "b-2", "second")).status).toBe(200);
    const third = await turn(KEY_B, "b-3", "third");
    expect(third.status).toBe(429);
    expect(third.json().error?.code).toBe("SESSION_LIMIT_REACHED");
    // Its live sessions go on, and another caller has a quota of its own.
    expect((await turn(KEY_B, "b-1", "again")).status).toBe(200);
    expect((await turn(KEY_A, "b-3", "mine")).status).toBe(200);
  });
});
