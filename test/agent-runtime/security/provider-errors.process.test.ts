/**
 * Provider error answers through the real runtime process: what reaches the client of the
 * pass-through, and what the process writes to its log.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { redisServerAvailable } from "../../support/redis-server.ts";
import type { RuntimeProcess } from "../../support/runtime-process.ts";
import { logLine, postJson, useRuntimeProcesses } from "./runtime-processes.ts";

const available = redisServerAvailable("runtime process (provider errors)");

const PROVIDER_KEY = "sk-proj-Q7pL2mX9vR4tK8wZ3nB6cJ1hF5dG0sYe";
/** 12 characters from the middle of the key, as a provider's "key ending ..." hint could quote. */
const KEY_FRAGMENT = "R4tK8wZ3nB6c";
const ORG_ID = "org-Xk29fLmQpZ81";
const USER_TEXT = "my diagnosis is glioma stage 2";

const providerError = (message: string, code: string) =>
  JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code } });

const INVALID_KEY_BODY = providerError(
  `Incorrect API key provided: sk-proj-****0sYe (fingerprint ${KEY_FRAGMENT}) for ${ORG_ID}.`,
  "invalid_api_key",
);
const ECHOING_400_BODY = providerError(
  `Invalid 'messages[0].content': "${USER_TEXT}" is too long for ${ORG_ID} (key ...${KEY_FRAGMENT}).`,
  "string_above_max_length",
);

describe.skipIf(!available)("provider errors through the runtime process", { timeout: 15_000 }, () => {
  const processes = useRuntimeProcesses();
  let quiet: RuntimeProcess;
  let verbose: RuntimeProcess;

  beforeAll(async () => {
    [quiet, verbose] = await Promise.all([
      processes.start({ AGENTRY_PROVIDER_API_KEY: PROVIDER_KEY }),
      processes.start({ AGENTRY_PROVIDER_API_KEY: PROVIDER_KEY, AGENTRY_LOG_CONTENT: "true" }),
    ]);
  });

  const completion = (runtime: RuntimeProcess) =>
    postJson(`${runtime.url}/v1/chat/completions`, { messages: [{ role: "user", content: USER_TEXT }] });
  const logsOf = (runtime: RuntimeProcess) => JSON.stringify(runtime.logs);

  it.each([401, 403])(
    "answers a provider %i on /v1/chat/completions with 502 MODEL_AUTH_FAILED, relaying nothing of its body",
    async (status) => {
      processes.stub.enqueue({ type: "error", status, body: INVALID_KEY_BODY });
      const answer = await completion(quiet);
      expect(answer.status).toBe(502);
      expect(answer.json().error?.code).toBe("MODEL_AUTH_FAILED");
      for (const leak of ["Incorrect API key", KEY_FRAGMENT, ORG_ID, "0sYe"]) {
        expect(answer.text).not.toContain(leak);
      }
      const requestId = answer.json().error?.requestId;
      await logLine(quiet, (line) => line.requestId === requestId && line.msg === "request finished");
      expect(logsOf(quiet)).not.toContain(KEY_FRAGMENT);
    },
  );

  it("relays a provider 400 on /v1/chat/completions with its status, minus key fragments and org ids", async () => {
    processes.stub.enqueue({ type: "error", status: 400, body: ECHOING_400_BODY });
    const answer = await completion(quiet);
    expect(answer.status).toBe(400);
    const error = answer.json().error;
    expect(error?.code).toBe("string_above_max_length");
    expect(error?.message).toContain("Invalid 'messages[0].content'");
    expect(error?.message).toContain("org-[redacted]");
    expect(answer.text).not.toContain(ORG_ID);
    expect(answer.text).not.toContain(KEY_FRAGMENT);
  });

  const metricsOf = async (runtime: RuntimeProcess) => (await fetch(`${runtime.url}/metrics`)).text();
  const count = (metrics: string, pattern: RegExp) =>
    metrics
      .split("\n")
      .filter((line) => pattern.test(line))
      .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);

  it.each([400, 413, 422])(
    "answers a provider %i caused by the request with 400 on /v1/chat, the provider's reason redacted, counted as no 5xx",
    async (status) => {
      const runtime = await processes.start({ AGENTRY_PROVIDER_API_KEY: PROVIDER_KEY });
      processes.stub.enqueue({ type: "error", status, body: ECHOING_400_BODY });
      const answer = await postJson(`${runtime.url}/v1/chat`, { message: USER_TEXT });
      expect(answer.status).toBe(400);
      expect(answer.json().error).toMatchObject({
        code: "MODEL_INPUT_REJECTED",
        type: "invalid_request_error",
      });
      expect(answer.json().error?.message).toContain("Invalid 'messages[0].content'");
      expect(answer.text).not.toContain(ORG_ID);
      expect(answer.text).not.toContain(KEY_FRAGMENT);
      const metrics = await metricsOf(runtime);
      expect(count(metrics, /^agentry_requests_total\{[^}]*status="5\d\d"/)).toBe(0);
      expect(count(metrics, /^agentry_llm_requests_total\{[^}]*outcome="client_error"/)).toBe(1);
    },
  );

  it("keeps a provider 401 and a 404 of the agent's model as the revision's errors on /v1/chat", async () => {
    const runtime = await processes.start({ AGENTRY_PROVIDER_API_KEY: PROVIDER_KEY });
    processes.stub.enqueue(
      { type: "error", status: 401, body: INVALID_KEY_BODY },
      { type: "error", status: 404, body: providerError("The model does not exist", "model_not_found") },
    );
    const auth = await postJson(`${runtime.url}/v1/chat`, { message: "hi" });
    const missing = await postJson(`${runtime.url}/v1/chat`, { message: "hi" });
    expect([auth.status, auth.json().error?.code]).toEqual([502, "MODEL_AUTH_FAILED"]);
    expect([missing.status, missing.json().error?.code]).toEqual([502, "MODEL_REQUEST_REJECTED"]);
    const metrics = await metricsOf(runtime);
    expect(count(metrics, /^agentry_requests_total\{[^}]*status="502"/)).toBe(2);
    expect(count(metrics, /^agentry_llm_requests_total\{[^}]*outcome="client_error"/)).toBe(0);
    expect(count(metrics, /^agentry_llm_requests_total\{[^}]*outcome="(auth_failed|request_rejected)"/)).toBe(
      2,
    );
  });

  it("logs a /v1/chat provider error by status, code and type only, unless content logging is on", async () => {
    const failedTurn = async (runtime: RuntimeProcess) => {
      // A 404 (of the agent's model) is the revision's error and logged; a caller's 400 is not logged.
      processes.stub.enqueue({ type: "error", status: 404, body: ECHOING_400_BODY });
      const answer = await postJson(`${runtime.url}/v1/chat`, { message: USER_TEXT });
      expect(answer.status).toBe(502);
      expect(answer.json().error?.code).toBe("MODEL_REQUEST_REJECTED");
      const requestId = answer.json().error?.requestId;
      await logLine(runtime, (line) => line.requestId === requestId && line.msg === "request finished");
      return logLine(
        runtime,
        (line) => line.requestId === requestId && line.code === "MODEL_REQUEST_REJECTED",
      );
    };

    const quietLine = await failedTurn(quiet);
    expect(quietLine.upstream).toEqual({
      status: 404,
      code: "string_above_max_length",
      type: "invalid_request_error",
    });
    expect(logsOf(quiet)).not.toContain(USER_TEXT);
    expect(logsOf(quiet)).not.toContain(KEY_FRAGMENT);

    // The same failure with content logging on: the provider's text is there, so the check above can see it.
    const verboseLine = await failedTurn(verbose);
    expect(JSON.stringify(verboseLine.upstream)).toContain(USER_TEXT);
  });
});
