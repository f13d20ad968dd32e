import { describe, expect, it } from "vitest";
import type { Deployment } from "../../../operator/kube/objects.ts";
import { templateUsesSecret } from "../../../operator/reconcile/template-uses-secret.ts";

const deployment = (container: object): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "bot-abc", namespace: "agents" },
  spec: { template: { spec: { containers: [{ name: "agent", ...container }] } } },
});

describe("templateUsesSecret", () => {
  it("finds a Secret read through env secretKeyRef or envFrom secretRef", () => {
    const byKey = deployment({
      env: [{ name: "K", valueFrom: { secretKeyRef: { name: "bot-auth", key: "api-keys" } } }],
    });
    const byFrom = deployment({ envFrom: [{ secretRef: { name: "bot-auth" } }] });
    expect(templateUsesSecret(byKey, "bot-auth")).toBe(true);
    expect(templateUsesSecret(byFrom, "bot-auth")).toBe(true);
  });

  it("is false for other Secrets, ConfigMaps, plain values and a Deployment without a template", () => {
    const other = deployment({
      env: [
        { name: "A", value: "bot-auth" },
        { name: "B", valueFrom: { secretKeyRef: { name: "openai", key: "api-key" } } },
        { name: "C", valueFrom: { configMapKeyRef: { name: "bot-auth", key: "x" } } },
      ],
      envFrom: [{ configMapRef: { name: "bot-auth" } }],
    });
    expect(templateUsesSecret(other, "bot-auth")).toBe(false);
    expect(templateUsesSecret({ ...other, spec: {} }, "bot-auth")).toBe(false);
  });
});
