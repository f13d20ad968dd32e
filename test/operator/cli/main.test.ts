import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CliIo, runCli } from "../../../operator/cli/main.ts";

const root = join(import.meta.dirname, "..", "..", "..");

function run(args: string[], stdin = "") {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readFile: (path) => readFileSync(join(root, path), "utf8"),
    readStdin: () => stdin,
  };
  const code = runCli(args, io);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("agentry validate", () => {
  it("exits 0 for valid manifests and says which agents it checked", () => {
    const result = run(["validate", "examples/basic.yaml", "examples/tools.yaml"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("AgentDeployment front-desk is valid");
    expect(result.stderr).toBe("");
  });

  it("exits 1 and prints file:line: path: message for an invalid manifest", () => {
    const result = run(["validate", "examples/basic.yaml", "test/fixtures/invalid/weight-150.yaml"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "test/fixtures/invalid/weight-150.yaml:13: spec.strategy.canary.steps[0].setWeight: Too big: expected number to be <=100\n",
    );
  });

  it('reads standard input for "-"', () => {
    const result = run(
      ["validate", "-"],
      readFileSync(join(root, "test/fixtures/invalid/missing-model.yaml"), "utf8"),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("<stdin>:7: spec.agent.model: required field is missing");
  });

  it("says so when a file cannot be read, and still checks the others", () => {
    const result = run(["validate", "does-not-exist.yaml", "examples/basic.yaml"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^does-not-exist.yaml: cannot read: /);
    expect(result.stdout).toContain("support-bot is valid");
  });

  it("needs at least one file and rejects unknown commands", () => {
    expect(run(["validate"]).code).toBe(2);
    expect(run(["frobnicate"]).stderr).toContain('unknown command "frobnicate"');
  });
});
