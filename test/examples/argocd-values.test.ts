import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = path.join(import.meta.dirname, "..", "..");
const read = (file: string) => parse(readFileSync(path.join(root, "examples/argocd", file), "utf8"));

describe("examples/argocd/argo-cd-values.yaml", () => {
  it("carries the argocd-cm health and actions, byte for byte, as argo-cd chart values", () => {
    const configMap = read("argocd-cm.yaml") as { data: Record<string, string> };
    const values = read("argo-cd-values.yaml") as { configs: { cm: Record<string, string> } };
    expect(Object.keys(configMap.data).length).toBeGreaterThan(1);
    expect(values.configs.cm).toEqual(configMap.data);
  });
});
