import { describe, expect, it } from "vitest";
import { type HttpRoute, planRouteWeights } from "../../../operator/reconcile/route-weights.ts";

const services = { stable: "bot-stable", canary: "bot-canary" };

function route(rules: NonNullable<HttpRoute["spec"]>["rules"]): HttpRoute {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "bot", namespace: "agents", resourceVersion: "42" },
    spec: { rules },
  };
}

describe("planRouteWeights", () => {
  it("sets only the two weights, guarded by the route's resourceVersion", () => {
    const result = planRouteWeights(
      route([
        { backendRefs: [{ name: "other", weight: 5 }] },
        {
          backendRefs: [
            { name: "bot-stable", port: 80, weight: 100 },
            { name: "bot-canary", port: 80, weight: 0 },
          ] as never,
        },
      ]),
      "bot",
      services,
      20,
    );
    expect(result).toEqual({
      ok: true,
      current: { stable: 100, canary: 0 },
      patch: [
        { op: "test", path: "/metadata/resourceVersion", value: "42" },
        { op: "replace", path: "/spec/rules/1/backendRefs/0/weight", value: 80 },
        { op: "replace", path: "/spec/rules/1/backendRefs/1/weight", value: 20 },
      ],
    });
  });

  it("writes nothing when the route already carries the weights", () => {
    const result = planRouteWeights(
      route([
        {
          backendRefs: [
            { name: "bot-canary", weight: 20 },
            { name: "bot-stable", weight: 80 },
          ],
        },
      ]),
      "bot",
      services,
      20,
    );
    expect(result).toEqual({ ok: true, current: { stable: 80, canary: 20 }, patch: [] });
  });

  it("adds a weight that was left unset (1 in the Gateway API)", () => {
    const result = planRouteWeights(
      route([{ backendRefs: [{ name: "bot-stable" }, { name: "bot-canary" }] }]),
      "bot",
      services,
      0,
    );
    expect(result.ok && result.current).toEqual({ stable: 1, canary: 1 });
    expect(result.ok && result.patch.slice(1)).toEqual([
      { op: "add", path: "/spec/rules/0/backendRefs/0/weight", value: 100 },
      { op: "add", path: "/spec/rules/0/backendRefs/1/weight", value: 0 },
    ]);
  });

  it("says what is wrong with a missing route or one without both backends", () => {
    expect(planRouteWeights(undefined, "bot", services, 10)).toEqual({
      ok: false,
      problem: "HTTPRoute bot not found in this namespace",
    });
    expect(
      planRouteWeights(
        route([{ backendRefs: [{ name: "bot-stable" }, { name: "bot-canary", kind: "ServiceImport" }] }]),
        "bot",
        services,
        10,
      ),
    ).toEqual({
      ok: false,
      problem:
        "HTTPRoute bot has no rule whose backendRefs list both Service bot-stable and Service bot-canary",
    });
  });
});
