/**
 * The pass-through of the real runtime process obeys the agent (token ceiling, `n`, temperature),
 * and a deeply nested JSON body is the client's error, not a 5xx that canary analysis would count.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import { postJson, useRuntimeProcesses } from "./runtime-processes.ts";

const available = redisServerAvailable("runtime process (pass-through)");

describe.skipIf(!available)("the pass-through of the runtime process", { timeout: 15_000 }, () => {
  const processes = useRuntimeProcesses();
  let runtime: RuntimeProcess;

  beforeAll(async () => {
    runtime = await processes.start({ AGENTRY_MAX_TOKENS: "64", AGENTRY_TEMPERATURE: "0.2" });
  });

  const completion = (body: object | string) => postJson(`${runtime.url}/v1/chat/completions`, body);
  const messages = [{ role: "user", content: "write me a novel" }];

  it("lowers max_tokens, max_completion_tokens and n to the agent's and keeps its temperature", async () => {
    const answer = await completion({
      model: "gpt-4-expensive",
      messages,
      max_tokens: 100_000,
      max_completion_tokens: 100_000,
      n: 64,
      temperature: 2,
    });
    expect(answer.status).toBe(200);
    expect(processes.stub.requests).toHaveLength(1);
    expect(processes.stub.requests[0]?.body).toMatchObject({
      model: "test-model",
      max_tokens: 64,
      max_completion_tokens: 64,
      n: 1,
      temperature: 0.2,
    });
  });

  it("refuses a limited field that is not a number with 400 naming it, and reads null as not set", async () => {
    for (const [field, value] of [
      ["max_tokens", "100000"],
      ["max_completion_tokens", "100000"],
      ["n", "64"],
      ["n", 2.5],
    ] as const) {
      const answer = await completion({ messages, [field]: value });
      expect(answer.status, `${field}: ${JSON.stringify(value)}`).toBe(400);
      expect(answer.json().error).toMatchObject({ code: "INVALID_REQUEST", fields: [{ path: field }] });
    }
    expect(processes.stub.requests).toHaveLength(0);

    const answer = await completion({ messages, max_tokens: null, max_completion_tokens: null, n: null });
    expect(answer.status).toBe(200);
    const sent = processes.stub.requests[0]?.body;
    expect(sent).toMatchObject({ max_tokens: 64 });
    expect(sent).not.toHaveProperty("max_completion_tokens");
    expect(sent).not.toHaveProperty("n");
  });

  it("answers a JSON body nested 5,000 deep with 400, without a stack trace, on both routes", async () => {
    const nested = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    const answers = [
      await completion(`{"messages":[{"role":"user","content":"hi"}],"metadata":${nested}}`),
      await postJson(`${runtime.url}/v1/chat`, `{"message":"hi","extra":${nested}}`),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.json().error).toMatchObject({
        code: "INVALID_REQUEST",
        message: "the JSON body nests deeper than 64 levels",
      });
      expect(answer.text).not.toMatch(/RangeError|stack|at \w+ \(/);
    }
    expect(processes.stub.requests).toHaveLength(0);
    // Canary analysis counts 5xx answers from this counter: these are client errors.
    const metrics = await (await fetch(`${runtime.url}/metrics`)).text();
    expect(metrics).toMatch(/agentry_requests_total\{[^}]*route="\/v1\/chat\/completions"[^}]*status="400"/);
    expect(metrics).not.toMatch(/agentry_requests_total\{[^}]*status="5\d\d"/);
  });
});
