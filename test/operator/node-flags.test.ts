import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OPERATOR_NODE_FLAGS } from "../../operator/node-flags.ts";
import { readDockerfile } from "../support/dockerfile-stages.ts";

const root = path.join(import.meta.dirname, "..", "..");

describe("operator node flags", () => {
  it("are the same in the image, the npm script and the tests", () => {
    const cmd = readDockerfile(path.join(root, "Dockerfile.operator")).at(-1)?.cmd;
    expect(cmd).toEqual(["node", ...OPERATOR_NODE_FLAGS, "dist/operator/main.js"]);
    const scripts = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts as Record<
      string,
      string
    >;
    expect(scripts.operator).toBe(["node", ...OPERATOR_NODE_FLAGS, "operator/main.ts"].join(" "));
  });
});
