import { describe, expect, it } from "vitest";
import { parsePluginArgs } from "../../../../operator/cli/plugin/plugin-args.ts";

describe("parsePluginArgs", () => {
  it("reads kubectl's connection flags before or after the arguments", () => {
    expect(parsePluginArgs(["-n", "agents", "status", "bot", "-w", "--context", "prod"])).toMatchObject({
      command: "status",
      positionals: ["bot"],
      watch: true,
      connection: { namespace: "agents", context: "prod", kubeconfig: undefined },
    });
    expect(parsePluginArgs(["undo", "bot", "--to-revision", "3", "--kubeconfig", "/tmp/k"])).toMatchObject({
      command: "undo",
      toRevision: 3,
      connection: { kubeconfig: "/tmp/k" },
    });
    expect(parsePluginArgs(["promote", "bot", "--full"])).toMatchObject({ command: "promote", full: true });
    expect(parsePluginArgs(["render", "a.yaml", "b.yaml", "--placeholder-data"])).toMatchObject({
      positionals: ["a.yaml", "b.yaml"],
      placeholderData: true,
    });
    expect(parsePluginArgs([])).toMatchObject({ command: "help" });
  });

  it.each([
    [["frobnicate"], 'unknown command "frobnicate"'],
    [["status"], "usage: kubectl agentry status NAME (got no arguments)"],
    [["list", "extra"], "usage: kubectl agentry list (got extra)"],
    [["abort", "bot", "--full"], "abort does not take --full"],
    [["status", "bot", "--bogus"], "Unknown option '--bogus'"],
    [
      ["undo", "bot", "--to-revision", "0"],
      '--to-revision takes a position in status.history (1 = the revision before the latest), got "0"',
    ],
  ])("rejects %j with exit 2", (argv, message) => {
    expect(() => parsePluginArgs(argv)).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringContaining(message) }),
    );
  });
});
