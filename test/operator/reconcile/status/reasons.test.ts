import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REASONS } from "../../../../operator/reconcile/status/reasons.ts";

const root = path.join(import.meta.dirname, "../../../..");

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => path.join(dir, file));
}

describe("REASONS", () => {
  it("names each reason by its value", () => {
    for (const [key, value] of Object.entries(REASONS))
      expect(key, value).toBe(value.charAt(0).toLowerCase() + value.slice(1));
  });

  it("is the only place the operator spells a condition or Event reason out", () => {
    const spelled = ["operator/reconcile", "operator/controller", "operator/analysis"]
      .flatMap(sources)
      .filter((file) => !file.endsWith("status/reasons.ts"))
      .flatMap((file) =>
        [...readFileSync(path.join(root, file), "utf8").matchAll(/reason: ["`][A-Z][A-Za-z]*/g)].map(
          (match) => `${file}: ${match[0]}`,
        ),
      );
    expect(spelled).toEqual([]);
  });
});
