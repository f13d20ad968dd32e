import { describe, expect, it } from "vitest";
import { classifyModelError } from "../../../agent-runtime/llm/classify-model-error.ts";
import { ModelHttpError } from "../../../agent-runtime/llm/model-errors.ts";

const KEY = "sk-proj-Q7pL2mX9vR4tK8wZ3nB6cJ1hF5dG0sYe";
const context = { aborted: false, timedOut: false, timeoutMs: 1000, nowMs: 0, apiKey: KEY };
const providerAnswer = (status: number, message: string) =>
  new ModelHttpError(
    status,
    new Headers({ "content-type": "application/json" }),
    JSON.stringify({ error: { message } }),
  );

describe("classifyModelError: provider 4xx", () => {
  it.each([
    // The request's own content: the caller's mistake, a 4xx for it, outside the error rates.
    { status: 400, code: "MODEL_INPUT_REJECTED", httpStatus: 400, outcome: "client_error" },
    { status: 413, code: "MODEL_INPUT_REJECTED", httpStatus: 400, outcome: "client_error" },
    { status: 422, code: "MODEL_INPUT_REJECTED", httpStatus: 400, outcome: "client_error" },
    // The agent's own key and configuration: the revision's errors.
    { status: 401, code: "MODEL_AUTH_FAILED", httpStatus: 502, outcome: "auth_failed" },
    { status: 403, code: "MODEL_AUTH_FAILED", httpStatus: 502, outcome: "auth_failed" },
    { status: 404, code: "MODEL_REQUEST_REJECTED", httpStatus: 502, outcome: "request_rejected" },
  ])("HTTP $status is $code ($httpStatus), outcome $outcome", ({ status, code, httpStatus, outcome }) => {
    const classified = classifyModelError(providerAnswer(status, "nope"), context);
    expect(classified.error.code).toBe(code);
    expect(classified.error.status).toBe(httpStatus);
    expect(classified.outcome).toBe(outcome);
    expect(classified.countsAsFailure).toBe(false);
  });

  it("tells the caller the provider's reason for a refused request, without the runtime's key or org", () => {
    const reason = `This model's maximum context length is 8192 tokens (org-Xk29fLmQpZ81, key ...R4tK8wZ3nB6c)`;
    const { error } = classifyModelError(providerAnswer(400, reason), context);
    expect(error.message).toContain("maximum context length is 8192 tokens");
    expect(error.message).not.toContain("org-Xk29fLmQpZ81");
    expect(error.message).not.toContain("R4tK8wZ3nB6c");
  });
});
