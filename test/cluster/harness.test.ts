// Unit tests of the pure parts of the control-plane harness (test/support/cluster-*.ts); the
// integration tests next to this file cover the rest against the real plane.
import { describe, expect, it } from "vitest";
import { requiredVersion } from "../support/cluster-components.ts";
import type { LabelSelector } from "../support/cluster-readiness.ts";
import { buildUnreadyStage, selectorString, unreadyStageName } from "../support/cluster-readiness.ts";

describe("selectorString", () => {
  it.each<[LabelSelector, string]>([
    [{ matchLabels: { app: "web" } }, "app=web"],
    [{ matchLabels: { app: "web", revision: "v2" } }, "app=web,revision=v2"],
    [{ matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] }, "tier in (a,b)"],
    [{ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["a"] }] }, "tier notin (a)"],
    [{ matchExpressions: [{ key: "canary", operator: "Exists" }] }, "canary"],
    [
      { matchLabels: { app: "x" }, matchExpressions: [{ key: "canary", operator: "DoesNotExist" }] },
      "app=x,!canary",
    ],
  ])("%j -> %s", (selector, expected) => {
    expect(selectorString(selector)).toBe(expected);
  });
});

describe("buildUnreadyStage", () => {
  const stage = buildUnreadyStage("team-a", {
    matchLabels: { app: "web" },
    matchExpressions: [{ key: "agentry.dev/revision", operator: "In", values: ["84b2e1"] }],
  }) as {
    metadata: { name: string };
    spec: {
      weight: number;
      selector: { matchLabels: object; matchExpressions: { key: string; values?: string[] }[] };
    };
  };

  it("matches only the namespace and selector it was made for", () => {
    expect(stage.spec.selector.matchLabels).toEqual({ app: "web" });
    expect(stage.spec.selector.matchExpressions).toContainEqual({
      key: ".metadata.namespace",
      operator: "In",
      values: ["team-a"],
    });
    expect(stage.spec.selector.matchExpressions).toContainEqual({
      key: '.metadata.labels["agentry.dev/revision"]',
      operator: "In",
      values: ["84b2e1"],
    });
  });

  it("never matches a pod it already made unready (kwok would loop) and outweighs kwok's stages", () => {
    expect(stage.spec.selector.matchExpressions).toContainEqual({
      key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
      operator: "NotIn",
      values: ["False"],
    });
    expect(stage.spec.weight).toBeGreaterThan(0);
  });

  it("has a valid object name, one per namespace and selector", () => {
    const long = "n".repeat(63);
    const name = unreadyStageName(long, { matchLabels: { a: "b" } });
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(stage.metadata.name).toBe(
      unreadyStageName("team-a", {
        matchLabels: { app: "web" },
        matchExpressions: [{ key: "agentry.dev/revision", operator: "In", values: ["84b2e1"] }],
      }),
    );
    expect(unreadyStageName("ns", { matchLabels: { a: "b" } })).not.toBe(
      unreadyStageName("ns", { matchLabels: { a: "c" } }),
    );
  });
});

describe("requiredVersion", () => {
  const goMod = `module x

require (
\tk8s.io/client-go v0.37.0 // indirect
\tk8s.io/kubernetes v1.36.3 // indirect
)

replace k8s.io/api => k8s.io/api v0.36.3
require go.etcd.io/etcd/server/v3 v3.6.8
`;
  it.each([
    ["k8s.io/kubernetes", "v1.36.3"],
    ["k8s.io/client-go", "v0.37.0"],
    ["go.etcd.io/etcd/server/v3", "v3.6.8"],
  ])("%s is %s", (module, version) => {
    expect(requiredVersion(goMod, module)).toBe(version);
  });

  it("does not take a replace target for a requirement", () => {
    expect(() => requiredVersion(goMod, "k8s.io/api")).toThrow(/does not require/);
  });
});
