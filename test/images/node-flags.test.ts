/** Each image's V8 flags are the ones its npm script and the tests start the process with. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RUNTIME_NODE_FLAGS } from "../../agent-runtime/node-flags.ts";
import { OPERATOR_NODE_FLAGS } from "../../operator/node-flags.ts";
import { readDockerfile } from "../support/dockerfile-stages.ts";

const root = path.join(import.meta.dirname, "..", "..");
const scripts = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts as Record<
  string,
  string
>;

describe.each([
  {
    dockerfile: "Dockerfile.operator",
    flags: OPERATOR_NODE_FLAGS,
    entry: "dist/operator/main.js",
    script: "operator",
    source: "operator/main.ts",
  },
  {
    dockerfile: "Dockerfile.runtime",
    flags: RUNTIME_NODE_FLAGS,
    entry: "dist/agent-runtime/server.js",
    script: "runtime",
    source: "agent-runtime/server.ts",
  },
])("$dockerfile node flags", ({ dockerfile, flags, entry, script, source }) => {
  it("are the same in the image, the npm script and the tests", () => {
    const cmd = readDockerfile(path.join(root, dockerfile)).at(-1)?.cmd;
    expect(cmd).toEqual(["node", ...flags, entry]);
    expect(scripts[script]).toBe(["node", ...flags, source].join(" "));
  });
});
