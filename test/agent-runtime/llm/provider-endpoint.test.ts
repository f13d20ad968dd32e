import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModelClient } from "../../../agent-runtime/llm/model-client.ts";
import { endpointURL, providerEndpointOf } from "../../../agent-runtime/llm/provider-endpoint.ts";
import { createMetrics } from "../../../agent-runtime/observability/metrics.ts";
import {
  type StubAzureSettings,
  type StubModelServer,
  startStubModelServer,
} from "../../support/stub-model-server.ts";

const AZURE: StubAzureSettings = {
  deployment: "gpt-4o-prod",
  apiVersion: "2024-10-21",
  apiKey: "azure-key-0123",
};
const request = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
const context = () => ({ signal: new AbortController().signal, headers: {} });

describe("provider endpoint", () => {
  it("addresses an OpenAI-compatible API under its base URL with a Bearer key", () => {
    const endpoint = providerEndpointOf({
      type: "openai",
      baseURL: "https://api.openai.com/v1/",
      apiKey: "sk-1",
      azure: undefined,
    });
    expect(endpointURL(endpoint, "/chat/completions")).toBe("https://api.openai.com/v1/chat/completions");
    expect(endpoint.authHeaders).toEqual({ authorization: "Bearer sk-1" });
    expect(endpoint.probeURL).toBe("https://api.openai.com/v1/models");
  });

  it("sends no auth header without a key", () => {
    const endpoint = providerEndpointOf({
      type: "openai",
      baseURL: "http://vllm:8000/v1",
      apiKey: undefined,
      azure: undefined,
    });
    expect(endpoint.authHeaders).toEqual({});
  });

  it("addresses an Azure deployment with api-version and the api-key header", () => {
    const endpoint = providerEndpointOf({
      type: "azure",
      baseURL: "https://res.openai.azure.com",
      apiKey: "k",
      azure: { deployment: "my deployment", apiVersion: "2024-10-21" },
    });
    expect(endpointURL(endpoint, "/chat/completions")).toBe(
      "https://res.openai.azure.com/openai/deployments/my%20deployment/chat/completions?api-version=2024-10-21",
    );
    expect(endpoint.authHeaders).toEqual({ "api-key": "k" });
    expect(endpoint.probeURL).toBe("https://res.openai.azure.com/openai/models?api-version=2024-10-21");
  });

  it("refuses an Azure provider without its deployment settings", () => {
    expect(() =>
      providerEndpointOf({
        type: "azure",
        baseURL: "https://res.openai.azure.com",
        apiKey: "k",
        azure: undefined,
      }),
    ).toThrow(/deployment and an API version/);
  });
});

describe("provider endpoint against a stub that checks requests as Azure does", () => {
  let stub: StubModelServer;
  beforeAll(async () => {
    stub = await startStubModelServer({ azure: AZURE });
  });
  afterAll(() => stub.close());

  const azureClient = (azure: { deployment: string; apiVersion: string }, apiKey = AZURE.apiKey) =>
    createModelClient({
      provider: { type: "azure", baseURL: stub.origin, apiKey, azure },
      timeoutMs: 2000,
      maxRetries: 0,
      breaker: { failureThreshold: 10, cooldownMs: 1000 },
      metrics: createMetrics("r1", { processMetrics: false }),
    });

  it("completes, streams, relays and probes through the deployment path", async () => {
    const model = azureClient(AZURE);
    try {
      expect((await model.complete(request, context())).choices[0]?.message.content).toBe("echo: hi");
      const seen = stub.requests.at(-1);
      expect(seen?.path).toBe("/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21");
      expect(seen?.headers["api-key"]).toBe(AZURE.apiKey);
      expect(seen?.headers.authorization).toBeUndefined();
      let streamed = "";
      const stream = await model.stream(JSON.stringify({ ...JSON.parse(request), stream: true }), context());
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
      expect(streamed).toBe("echo: hi");
      expect(await model.forward(request, context())).toContain("echo: hi");
      expect(await model.probe(1000)).toEqual({ ok: true, detail: "HTTP 200" });
    } finally {
      await model.close();
    }
  });

  it("is refused by the stub for a wrong key, deployment or api-version", async () => {
    const cases = [
      { client: azureClient(AZURE, "wrong-key"), code: "MODEL_AUTH_FAILED", status: 401 },
      { client: azureClient({ ...AZURE, deployment: "other" }), code: "MODEL_REQUEST_REJECTED", status: 404 },
      {
        client: azureClient({ ...AZURE, apiVersion: "2023-05-15" }),
        code: "MODEL_INPUT_REJECTED",
        status: 400,
      },
    ];
    for (const { client, code, status } of cases) {
      const error = await client.complete(request, context()).then(
        () => undefined,
        (thrown: { code: string; cause: { status: number } }) => thrown,
      );
      expect(error?.code).toBe(code);
      expect(error?.cause.status).toBe(status);
      await client.close();
    }
  });
});
