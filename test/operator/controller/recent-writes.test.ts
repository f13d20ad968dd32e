import { describe, expect, it } from "vitest";
import { LABELS } from "../../../operator/api/constants.ts";
import { RecentWrites } from "../../../operator/controller/recent-writes.ts";
import type { KubeObject } from "../../../operator/kube/objects.ts";

const service = (resourceVersion: string, selector: string): KubeObject & { spec: unknown } => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "bot", namespace: "agents", resourceVersion },
  spec: { selector },
});

describe("RecentWrites", () => {
  it("serves the written object until the cache has seen it, then the cache again", () => {
    const recent = new RecentWrites();
    recent.record("Service", service("12", "ours"));
    expect(recent.resolve("Service", "agents", "bot", service("10", "theirs"))).toEqual(
      service("12", "ours"),
    );
    expect(recent.resolve("Service", "agents", "bot", undefined)).toEqual(service("12", "ours"));
    recent.observe("Service", service("12", "ours"));
    expect(recent.size).toBe(0);
    expect(recent.resolve("Service", "agents", "bot", undefined)).toBeUndefined();
  });

  it("lets a later change (or deletion) by someone else win", () => {
    const recent = new RecentWrites();
    recent.record("Service", service("12", "ours"));
    expect(recent.resolve("Service", "agents", "bot", service("15", "theirs"))).toEqual(
      service("15", "theirs"),
    );
    recent.observe("Service", service("15", "deleted"));
    expect(recent.resolve("Service", "agents", "bot", undefined)).toBeUndefined();
  });

  it("lays the objects written for one agent over its cached ones, and no other agent's", () => {
    const deployment = (name: string, namespace: string, agent: string, resourceVersion: string) => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace, resourceVersion, labels: { [LABELS.agent]: agent } },
    });
    const recent = new RecentWrites();
    recent.record("Deployment", deployment("bot-r2", "agents", "bot", "12"));
    recent.record("Deployment", deployment("other-r1", "agents", "other", "13"));
    recent.record("Deployment", deployment("bot-r1", "elsewhere", "bot", "14"));
    const cached = [deployment("bot-r1", "agents", "bot", "10")];
    expect(recent.overlay("Deployment", "agents", "bot", cached)).toEqual([
      deployment("bot-r1", "agents", "bot", "10"),
      deployment("bot-r2", "agents", "bot", "12"),
    ]);
    expect(recent.overlay("Service", "agents", "bot", [])).toEqual([]);
    // Seen by the informer: the cache is current, the overlay adds nothing more.
    recent.observe("Deployment", deployment("bot-r2", "agents", "bot", "12"));
    expect(recent.overlay("Deployment", "agents", "bot", cached)).toEqual(cached);
    // A rewrite that moved an object to another agent leaves its old agent's overlay.
    recent.record("Deployment", deployment("other-r1", "agents", "bot", "15"));
    expect(recent.overlay("Deployment", "agents", "other", [])).toEqual([]);
    expect(
      recent.overlay<KubeObject>("Deployment", "agents", "bot", []).map((item) => item.metadata.name),
    ).toEqual(["other-r1"]);
    expect(recent.size).toBe(2);
  });
});
