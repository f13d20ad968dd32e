import { describe, expect, it } from "vitest";
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

  it("lays written objects over a cached list of one kind and namespace", () => {
    const recent = new RecentWrites();
    recent.record("Service", service("12", "ours"));
    recent.record("Service", {
      ...service("13", "other"),
      metadata: { name: "x", namespace: "elsewhere", resourceVersion: "13" },
    });
    expect(recent.overlay("Service", "agents", [service("10", "theirs")])).toEqual([service("12", "ours")]);
    expect(recent.overlay("Deployment", "agents", [])).toEqual([]);
  });
});
