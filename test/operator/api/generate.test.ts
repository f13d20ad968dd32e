import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHART_CRD_FILE, CRD_FILE, generatedFiles } from "../../../operator/api/generate.ts";

const root = join(import.meta.dirname, "..", "..", "..");

describe("npm run generate", () => {
  for (const [file, content] of Object.entries(generatedFiles())) {
    it(`${file} is up to date with operator/api (run \`npm run generate\` if this fails)`, () => {
      expect(readFileSync(join(root, file), "utf8")).toBe(content);
    });
  }
});

describe("the Helm chart's CRD", () => {
  it("is byte for byte the CRD in crds/", () => {
    expect(readFileSync(join(root, CHART_CRD_FILE), "utf8")).toBe(readFileSync(join(root, CRD_FILE), "utf8"));
  });
});
