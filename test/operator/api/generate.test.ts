import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generatedFiles } from "../../../operator/api/generate.ts";

const root = join(import.meta.dirname, "..", "..", "..");

describe("npm run generate", () => {
  for (const [file, content] of Object.entries(generatedFiles())) {
    it(`${file} is up to date with operator/api (run \`npm run generate\` if this fails)`, () => {
      expect(readFileSync(join(root, file), "utf8")).toBe(content);
    });
  }
});
