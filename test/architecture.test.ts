// The layout rules of docs/architecture.md, read from the code's own imports: the product never
// imports test or benchmark code, the operator imports only the runtime's contract, nothing runs
// back in a circle, and no source file holds two concepts' worth of lines.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..");
const PRODUCT = ["operator", "agent-runtime"];
const MAX_LINES = 400;

function sourcesOf(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => path.join(dir, file));
}

/** Every import specifier of a file, relative ones resolved to repository paths. */
function importsOf(file: string): { specifier: string; target: string | undefined }[] {
  const text = readFileSync(path.join(root, file), "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+["']([^"']+)["']/g)].map((match) => {
    const specifier = match[1] ?? "";
    return {
      specifier,
      target: specifier.startsWith(".")
        ? path.normalize(path.join(path.dirname(file), specifier))
        : undefined,
    };
  });
}

const product = PRODUCT.flatMap(sourcesOf);

describe("the source tree", () => {
  it(`has no product source file over ${MAX_LINES} lines`, () => {
    const long = product
      .map((file) => ({ file, lines: readFileSync(path.join(root, file), "utf8").split("\n").length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it("keeps test and benchmark code out of the product", () => {
    expect(existsSync(path.join(root, "agent-runtime/testing"))).toBe(false);
    const leaks = product.flatMap((file) =>
      importsOf(file)
        .filter(({ target }) => target !== undefined && /^(test|bench|scripts)\//.test(target))
        .map(({ specifier }) => `${file} -> ${specifier}`),
    );
    expect(leaks).toEqual([]);
  });

  it("lets the operator import only the runtime's contract, and the runtime nothing of the operator", () => {
    const crossings = product.flatMap((file) =>
      importsOf(file)
        .filter(({ target }) => {
          if (target === undefined) return false;
          if (file.startsWith("operator/"))
            return target.startsWith("agent-runtime/") && !target.startsWith("agent-runtime/contract/");
          return target.startsWith("operator/");
        })
        .map(({ specifier }) => `${file} -> ${specifier}`),
    );
    expect(crossings).toEqual([]);
  });

  it("keeps the runtime's contract free of dependencies", () => {
    const contract = sourcesOf("agent-runtime/contract");
    expect(contract.length).toBeGreaterThan(0);
    const outside = contract.flatMap((file) =>
      importsOf(file)
        .filter(({ target }) => target === undefined || !target.startsWith("agent-runtime/contract/"))
        .map(({ specifier }) => `${file} -> ${specifier}`),
    );
    expect(outside).toEqual([]);
  });

  it("has no import circle", () => {
    const graph = new Map(
      product.map((file) => [
        file,
        importsOf(file)
          .map(({ target }) => target)
          .filter((target): target is string => target !== undefined && product.includes(target)),
      ]),
    );
    const circles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        circles.push([...trail.slice(trail.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "visiting");
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of product) visit(file, []);
    expect(circles).toEqual([]);
  });

  it("reads planReconcile as its stages, in under 100 lines", () => {
    const text = readFileSync(path.join(root, "operator/reconcile/plan-reconcile.ts"), "utf8");
    const start = text.indexOf("export function planReconcile(");
    const end = text.indexOf("\n}\n", start);
    expect(start).toBeGreaterThan(-1);
    expect(text.slice(start, end).split("\n").length).toBeLessThan(100);
  });
});
