import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StubModelServer, startStubModelServer } from "../support/stub-model-server.ts";
import { startTestRuntime } from "./test-runtime.ts";

const AZURE = { deployment: "support-bot", apiVersion: "2025-01-01-preview", apiKey: "azure-key-0123456789" };

describe("createDeps with an Azure OpenAI provider", () => {
  let stub: StubModelServer;
  beforeAll(async () => {
    stub = await startStubModelServer({ azure: AZURE });
  });
  afterAll(() => stub.close());

  it("serves /v1/chat and /v1/chat/completions from the deployment configured in the environment", async () => {
    const agent = await startTestRuntime({
      AGENTRY_PROVIDER_TYPE: "azure",
      AGENTRY_PROVIDER_BASE_URL: stub.origin,
      AGENTRY_PROVIDER_API_KEY: AZURE.apiKey,
      AGENTRY_PROVIDER_AZURE_DEPLOYMENT: AZURE.deployment,
      AGENTRY_PROVIDER_AZURE_API_VERSION: AZURE.apiVersion,
      AGENTRY_PROVIDER_MAX_RETRIES: "0",
    });
    try {
      const chat = await agent.app.inject({ method: "POST", url: "/v1/chat", payload: { message: "hello" } });
      expect(chat.statusCode).toBe(200);
      expect(chat.json().message.content).toBe("echo: hello");
      const completions = await agent.app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload: { model: "x", messages: [{ role: "user", content: "hi" }], stream: true },
      });
      expect(completions.payload).toContain('"content":"echo: "');
      expect(stub.requests.map((seen) => seen.path)).toEqual([
        "/openai/deployments/support-bot/chat/completions?api-version=2025-01-01-preview",
        "/openai/deployments/support-bot/chat/completions?api-version=2025-01-01-preview",
      ]);
      expect((await agent.deps.readiness({ verbose: true })).checks.model).toEqual({
        ok: true,
        detail: "HTTP 200",
      });
    } finally {
      await agent.close();
    }
  });
});
