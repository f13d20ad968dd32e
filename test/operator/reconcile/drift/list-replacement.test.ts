import { describe, expect, it } from "vitest";
import { listReplacementPatch } from "../../../../operator/reconcile/drift/list-replacement.ts";

const ports = [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }];
const containers = [{ name: "agent", image: "runtime:1", env: [{ name: "A", value: "1" }] }];
const declared = { spec: { ports, template: { spec: { containers } } } };

describe("listReplacementPatch", () => {
  it("replaces the list whose declared entry is missing, and nothing else", () => {
    expect(listReplacementPatch(declared, [{ path: "spec.ports[port=80]", missingEntry: true }])).toEqual({
      spec: { ports },
    });
  });

  it("replaces the outermost list when the missing entry sits in a nested one", () => {
    const field = { path: "spec.template.spec.containers[name=agent].env[name=A]", missingEntry: true };
    expect(listReplacementPatch(declared, [field])).toEqual({ spec: { template: { spec: { containers } } } });
  });

  it("needs no patch when only fields inside present entries differ", () => {
    const fields = [
      { path: "spec.ports[port=80].targetPort", missingEntry: false },
      { path: "spec.selector", missingEntry: false },
    ];
    expect(listReplacementPatch(declared, fields)).toBeUndefined();
  });
});
