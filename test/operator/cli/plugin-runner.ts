// Runs `kubectl-agentry` as a child process, as kubectl does: directly, or through the plane's
// kubectl, which finds the plugin on PATH (a temp dir holding a `kubectl-agentry` symlink to the
// entry file, whose `#!/usr/bin/env node` shebang then finds this Node first on PATH).
import { execFile } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../../support/cluster-env.ts";

export interface PluginRun {
  code: number;
  stdout: string;
  stderr: string;
}

export const PLUGIN_ENTRY = path.join(REPO_ROOT, "operator/cli/kubectl-agentry.ts");

/** A directory with `kubectl-agentry` in it, and a PATH that has it and this Node first. */
export function pluginPath(): { dir: string; PATH: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "kubectl-plugin-"));
  symlinkSync(PLUGIN_ENTRY, path.join(dir, "kubectl-agentry"));
  return { dir, PATH: [dir, path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter) };
}

function run(file: string, args: string[], env: Record<string, string>, input?: string): Promise<PluginRun> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: REPO_ROOT, env: { HOME: process.env.HOME ?? "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: unknown }).code as number) : 0;
        resolve({ code: typeof code === "number" ? code : -1, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** `kubectl-agentry ARGS` run as its own process (the file itself, through its shebang). */
export function runPlugin(args: string[], env: Record<string, string>, input?: string): Promise<PluginRun> {
  const { PATH } = pluginPath();
  return run(PLUGIN_ENTRY, args, { PATH, ...env }, input);
}

/** `kubectl agentry ARGS` through a real kubectl binary, with the plugin on PATH. */
export function runThroughKubectl(
  kubectl: string,
  args: string[],
  env: Record<string, string>,
): Promise<PluginRun> {
  const { PATH } = pluginPath();
  return run(kubectl, ["agentry", ...args], { PATH, ...env });
}
