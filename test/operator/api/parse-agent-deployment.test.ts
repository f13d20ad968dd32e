import { describe, expect, it } from "vitest";
import {
  formatIssuePath,
  parseAgentDeployment,
  RULES_NOT_CHECKED,
} from "../../../operator/api/parse-agent-deployment.ts";

function manifest(spec: Record<string, unknown>, name = "support-bot") {
  return { apiVersion: "agentry.dev/v1alpha1", kind: "AgentDeployment", metadata: { name }, spec };
}

const azureProvider = {
  type: "azure",
  baseURL: "https://res.openai.azure.com",
  azure: { deployment: "gpt-4o", apiVersion: "2024-10-21" },
};

const redis = { redis: { urlSecretRef: { name: "redis", key: "url" } } };

function messages(spec: Record<string, unknown>, name?: string): string[] {
  const result = parseAgentDeployment(manifest(spec, name));
  return result.ok ? [] : result.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
}

describe("parseAgentDeployment", () => {
  it("applies every default in one place", () => {
    const result = parseAgentDeployment(manifest({ agent: { model: "gpt-4o-mini" } }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.spec).toMatchObject({
      replicas: 1,
      paused: false,
      progressDeadlineSeconds: 600,
      progressDeadlineAbort: false,
      terminationGracePeriodSeconds: 30,
      auth: { mode: "none" },
      service: { type: "ClusterIP", port: 80 },
      strategy: { type: "RollingUpdate" },
      agent: {
        model: "gpt-4o-mini",
        maxToolRounds: 5,
        provider: { baseURL: "https://api.openai.com/v1", timeoutSeconds: 60, maxRetries: 2 },
      },
    });
  });

  it("scales without Redis: replicas and autoscaling need no shared memory", () => {
    const result = parseAgentDeployment(
      manifest({
        replicas: 3,
        agent: { model: "m" },
        autoscaling: { maxReplicas: 6, targetInflightRequests: 4 },
      }),
    );
    expect(result.ok && result.value.spec.replicas).toBe(3);
  });

  it("fills nested defaults of optional blocks only when the block is present", () => {
    const result = parseAgentDeployment(
      manifest({
        replicas: 2,
        agent: { model: "m", memory: redis },
        strategy: { type: "BlueGreen", blueGreen: {} },
      }),
    );
    expect(result.ok && result.value.spec.agent.memory).toEqual({
      redis: { ...redis.redis, waitForReplicas: 0 },
      ttlSeconds: 86_400,
      maxHistoryMessages: 50,
      maxHistoryBytes: 262_144,
      maxMessageBytes: 32_768,
      maxSessionsPerCaller: 100,
    });
    expect(result.ok && result.value.spec.strategy.blueGreen).toEqual({
      autoPromotionEnabled: true,
      scaleDownDelaySeconds: 30,
      abortScaleDownDelaySeconds: 0,
    });
    expect(result.ok && result.value.spec.autoscaling).toBeUndefined();
  });

  // Each rule: a spec that breaks it, and the nearest spec that keeps it.
  it.each([
    {
      rule: "canary step needs exactly one action",
      bad: { agent: { model: "m" }, strategy: { type: "Canary", canary: { steps: [{}] } } },
      good: { agent: { model: "m" }, strategy: { type: "Canary", canary: { steps: [{ pause: {} }] } } },
      message:
        "spec.strategy.canary.steps[0].setWeight: a step sets exactly one of setWeight, pause or analysis",
    },
    {
      rule: "weights never decrease",
      bad: {
        agent: { model: "m" },
        strategy: { type: "Canary", canary: { steps: [{ setWeight: 20 }, { setWeight: 10 }] } },
      },
      good: {
        agent: { model: "m" },
        strategy: { type: "Canary", canary: { steps: [{ setWeight: 10 }, { setWeight: 10 }] } },
      },
      message: "spec.strategy.canary.steps: setWeight must not decrease from one step to the next",
    },
    {
      rule: "autoscaling bounds",
      bad: {
        agent: { model: "m", memory: redis },
        autoscaling: { minReplicas: 3, maxReplicas: 2, targetInflightRequests: 4 },
      },
      good: {
        agent: { model: "m", memory: redis },
        autoscaling: { minReplicas: 2, maxReplicas: 2, targetInflightRequests: 4 },
      },
      message: "spec.autoscaling.minReplicas: minReplicas must not exceed maxReplicas",
    },
    {
      rule: "autoscaling target",
      bad: { agent: { model: "m", memory: redis }, autoscaling: { maxReplicas: 4 } },
      good: {
        agent: { model: "m", memory: redis },
        autoscaling: { maxReplicas: 4, targetCPUUtilizationPercentage: 60 },
      },
      message:
        "spec.autoscaling.targetCPUUtilizationPercentage: autoscaling needs targetCPUUtilizationPercentage or targetInflightRequests",
    },
    {
      rule: "azure needs its settings",
      bad: { agent: { model: "m", provider: { type: "azure", baseURL: "https://res.openai.azure.com" } } },
      good: { agent: { model: "m", provider: azureProvider } },
      message:
        "spec.agent.provider.azure: azure (deployment, apiVersion) is required with type: azure and only allowed with it",
    },
    {
      rule: "azure settings only with type azure",
      bad: { agent: { model: "m", provider: { azure: { deployment: "gpt-4o", apiVersion: "2024-10-21" } } } },
      good: { agent: { model: "m", provider: {} } },
      message:
        "spec.agent.provider.azure: azure (deployment, apiVersion) is required with type: azure and only allowed with it",
    },
    {
      rule: "azure needs its resource endpoint",
      bad: {
        agent: {
          model: "m",
          provider: { type: "azure", azure: { deployment: "gpt-4o", apiVersion: "2024-10-21" } },
        },
      },
      good: { agent: { model: "m", provider: azureProvider } },
      message:
        "spec.agent.provider.baseURL: with type: azure, baseURL is the Azure resource endpoint (https://NAME.openai.azure.com)",
    },
    {
      rule: "cache needs redis",
      bad: { agent: { model: "m", cache: {} } },
      good: { agent: { model: "m", cache: {}, memory: redis } },
      message: "spec.agent.cache: cache needs memory.redis",
    },
    {
      rule: "unique tool names",
      bad: {
        agent: {
          model: "m",
          tools: [
            { name: "a", url: "http://a/" },
            { name: "a", url: "http://b/" },
          ],
        },
      },
      good: {
        agent: {
          model: "m",
          tools: [
            { name: "a", url: "http://a/" },
            { name: "b", url: "http://b/" },
          ],
        },
      },
      message: "spec.agent.tools: tool names must be unique",
    },
    {
      rule: "systemPromptFrom has one source",
      bad: { agent: { model: "m", systemPromptFrom: {} } },
      good: { agent: { model: "m", systemPromptFrom: { secretKeyRef: { name: "p", key: "k" } } } },
      message:
        "spec.agent.systemPromptFrom.configMapKeyRef: systemPromptFrom needs exactly one of configMapKeyRef or secretKeyRef",
    },
    {
      rule: "jwt settings need jwt mode",
      bad: { agent: { model: "m" }, auth: { mode: "apiKey", jwt: { issuer: "x" } } },
      good: { agent: { model: "m" }, auth: { mode: "jwt", jwt: { jwksURL: "https://idp/jwks" } } },
      message: "spec.auth.jwt: jwt settings need mode: jwt",
    },
    {
      rule: "secretRef unused with mode none",
      bad: { agent: { model: "m" }, auth: { secretRef: { name: "a", key: "b" } } },
      good: { agent: { model: "m" }, auth: { mode: "apiKey", secretRef: { name: "a", key: "b" } } },
      message: "spec.auth.secretRef: secretRef is not used with mode: none",
    },
    {
      rule: "rolling update must be able to progress",
      bad: { agent: { model: "m" }, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } } },
      good: { agent: { model: "m" }, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
      message: "spec.strategy.rollingUpdate.maxUnavailable: maxSurge and maxUnavailable cannot both be 0",
    },
    {
      rule: "env value or valueFrom",
      bad: {
        agent: { model: "m" },
        env: [{ name: "A", value: "1", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
      },
      good: {
        agent: { model: "m" },
        env: [{ name: "A", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
      },
      message: "spec.env[0].valueFrom: set value or valueFrom, not both",
    },
    {
      rule: "disruption budget has one bound",
      bad: { agent: { model: "m" }, disruption: { maxUnavailable: 1, minAvailable: "50%" } },
      good: { agent: { model: "m" }, disruption: { minAvailable: "50%" } },
      message: "spec.disruption.minAvailable: set maxUnavailable or minAvailable, not both",
    },
    {
      rule: "query metric needs a condition",
      bad: {
        agent: { model: "m" },
        strategy: { type: "Canary", canary: { analysis: { metrics: [{ name: "q", query: "up" }] } } },
      },
      good: {
        agent: { model: "m" },
        strategy: {
          type: "Canary",
          canary: { analysis: { metrics: [{ name: "q", query: "up", successCondition: "result >= 1" }] } },
        },
      },
      message:
        "spec.strategy.canary.analysis.metrics[0].query: a query metric needs successCondition, max or min",
    },
  ])("rule: $rule", ({ bad, good, message }) => {
    expect(messages(bad).join("\n")).toContain(message);
    expect(messages(good)).toEqual([]);
  });

  it("accepts the longest name whose children still fit in 63 characters, and not one more", () => {
    expect(messages({ agent: { model: "m" } }, "a".repeat(52))).toEqual([]);
    expect(messages({ agent: { model: "m" } }, "a".repeat(53))[0]).toMatch(/^metadata.name: .*at most 52/);
  });

  it("reports every problem at once, each with its path, cross-field rules included", () => {
    expect(
      messages({
        replicas: -1,
        agent: { model: "m", temperature: 9 },
        autoscaling: { minReplicas: 5, maxReplicas: 2, targetInflightRequests: 4 },
      }),
    ).toEqual([
      "spec.replicas: Too small: expected number to be >=0",
      "spec.agent.temperature: Too big: expected number to be <=2",
      "spec.autoscaling.minReplicas: minReplicas must not exceed maxReplicas",
    ]);
  });

  it("skips cross-field rules after a missing field or a wrong type, and says so, as the API server does", () => {
    expect(
      messages({
        replicas: "two",
        agent: { temperature: 9 },
        autoscaling: { minReplicas: 5, maxReplicas: 2, targetInflightRequests: 4 },
      }),
    ).toEqual([
      "spec.replicas: expected number, received string",
      "spec.agent.model: required field is missing",
      "spec.agent.temperature: Too big: expected number to be <=2",
      `<document>: ${RULES_NOT_CHECKED}`,
    ]);
  });

  it("reports only unknown fields when there are any: the API server refuses to decode such a manifest", () => {
    expect(messages({ replicas: -1, agent: { temperature: 9 }, extra: true })).toEqual([
      'spec.extra: unknown field "extra"',
    ]);
  });
});
