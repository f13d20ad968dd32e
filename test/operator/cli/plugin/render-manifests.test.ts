import { describe, expect, it } from "vitest";
import { renderManifests } from "../../../../operator/cli/plugin/render-manifests.ts";

const options = {
  namespace: "agents",
  config: {
    defaultImage: "ghcr.io/agentry/agent-runtime:1.0.0",
    clusterDomain: "cluster.local",
  },
  now: new Date("2026-01-01T00:00:00Z"),
  generateKey: () => "generated-key",
};

const agent = (name: string, extra = "") => `
apiVersion: agentry.dev/v1alpha1
kind: AgentDeployment
metadata: { name: ${name} }
spec:
  replicas: 3
  agent:
    model: gpt-4o-mini
    provider: { apiKeySecretRef: { name: openai, key: api-key } }
${extra}
`;
const secret = (value: string) => `
apiVersion: v1
kind: Secret
metadata: { name: openai }
stringData: { api-key: ${value} }
`;

describe("renderManifests", () => {
  it("plans the children through planReconcile, with the file's Secrets as referenced data", () => {
    const result = renderManifests(
      [{ name: "bot.yaml", text: `${agent("bot")}---${secret("sk-1")}` }],
      options,
    );
    expect(result.errors).toEqual([]);
    expect(result.objects.map(({ object }) => `${object.kind} ${object.metadata.name}`)).toEqual([
      expect.stringMatching(/^Deployment bot-[a-z0-9]{10}$/),
      "Service bot",
      "PodDisruptionBudget bot",
    ]);
    const [deployment] = result.objects;
    expect(deployment?.object.metadata).toMatchObject({ namespace: "agents" });
    expect(deployment?.object.metadata.ownerReferences).toBeUndefined();
    expect(deployment?.object.spec).toMatchObject({ replicas: 3 });
  });

  it("gives a new revision for new Secret content, as the operator rolls a rotated key out", () => {
    const revision = (value: string) =>
      renderManifests([{ name: "f", text: `${agent("bot")}---${secret(value)}` }], options).objects[0]?.object
        .metadata.name;
    expect(revision("sk-1")).toBe(revision("sk-1"));
    expect(revision("sk-1")).not.toBe(revision("sk-2"));
  });

  it("creates the generated API-key Secret first, then the rest, as two reconciles do", () => {
    const result = renderManifests(
      [{ name: "f", text: `${agent("bot", "  auth: { mode: apiKey }")}---${secret("sk-1")}` }],
      options,
    );
    expect(result.objects.map(({ object }) => `${object.kind} ${object.metadata.name}`).slice(0, 2)).toEqual([
      "Secret bot-auth",
      expect.stringMatching(/^Deployment bot-/),
    ]);
    expect(result.objects[0]?.object).toMatchObject({ stringData: { "api-keys": "generated-key" } });
  });

  it("reports a missing Secret with the operator's message, or renders a placeholder when asked", () => {
    const missing = renderManifests([{ name: "bot.yaml", text: agent("bot") }], options);
    expect(missing.objects).toEqual([]);
    expect(missing.errors).toEqual([
      "bot.yaml: AgentDeployment bot: the operator would apply nothing (MissingReference): Secret openai (spec.agent.provider.apiKeySecretRef) does not exist",
    ]);
    const placeholder = renderManifests([{ name: "bot.yaml", text: agent("bot") }], {
      ...options,
      placeholderData: true,
    });
    expect(placeholder.errors).toEqual([]);
    expect(placeholder.objects).toHaveLength(3);
    expect(placeholder.warnings).toEqual([
      'bot.yaml: AgentDeployment bot: Secret openai key "api-key" (spec.agent.provider.apiKeySecretRef) is not in the files; rendered with placeholder content, so the revision differs from the cluster\'s',
    ]);
  });

  it("reports invalid manifests with file and line, and an image the operator would lack", () => {
    const invalid = renderManifests([{ name: "bad.yaml", text: agent("bot", "  paused: maybe") }], options);
    expect(invalid.errors[0]).toMatch(/^bad\.yaml:10: spec\.paused: /);
    const noImage = renderManifests([{ name: "f", text: `${agent("bot")}---${secret("sk")}` }], {
      ...options,
      config: { ...options.config, defaultImage: undefined },
    });
    expect(noImage.errors[0]).toContain("spec.image is empty and the operator has no default runtime image");
  });
});
