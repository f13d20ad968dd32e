/**
 * The images install only `dependencies` (npm ci --omit=dev). Every package the operator or the
 * runtime imports at run time must be one of them; a type-only import is erased by the build.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const packageJson = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.split(path.sep).includes("testing"));
}

/** Package names a file loads at run time: value imports, re-exports and dynamic imports. */
function runtimePackages(source: string): string[] {
  const specifiers: string[] = [];
  const statement = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/g;
  for (const match of source.matchAll(statement)) if (!match[2]) specifiers.push(match[3] as string);
  for (const match of source.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g))
    specifiers.push(match[1] as string);
  return specifiers
    .filter((specifier) => !specifier.startsWith(".") && !specifier.startsWith("node:"))
    .map((specifier) =>
      specifier
        .split("/")
        .slice(0, specifier.startsWith("@") ? 2 : 1)
        .join("/"),
    );
}

describe("production dependencies", () => {
  it("finds value imports and skips type-only ones", () => {
    expect(
      runtimePackages(
        'import type { A } from "openai/resources";\nimport { B, type C } from "fastify";\nimport "./x.ts";\nconst j = import("jose");\nexport { D } from "@scope/pkg/sub";',
      ),
    ).toEqual(["fastify", "@scope/pkg", "jose"]);
  });

  for (const dir of ["operator", "agent-runtime"]) {
    it(`${dir}/ imports at run time only packages listed in dependencies`, () => {
      const missing = sourceFiles(dir).flatMap((file) =>
        runtimePackages(readFileSync(path.join(root, file), "utf8"))
          .filter((name) => !(name in packageJson.dependencies))
          .map((name) => `${file}: ${name}`),
      );
      expect(missing).toEqual([]);
    });
  }
});
