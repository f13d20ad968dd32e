import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RUNTIME_NODE_FLAGS } from "../../agent-runtime/node-flags.ts";
import { readDockerfile } from "../support/dockerfile-stages.ts";

const root = path.join(import.meta.dirname, "..", "..");

describe("agent runtime node flags", () => {
  it("are the same in the image, the npm script and the tests", () => {
    const cmd = readDockerfile(path.join(root, "Dockerfile.runtime")).at(-1)?.cmd;
    expect(cmd).toEqual(["node", ...RUNTIME_NODE_FLAGS, "dist/agent-runtime/server.js"]);
    const scripts = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts as Record<
      string,
      string
    >;
    expect(scripts.runtime).toBe(["node", ...RUNTIME_NODE_FLAGS, "agent-runtime/server.ts"].join(" "));
  });
});
