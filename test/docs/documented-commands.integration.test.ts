// Runs every ```sh block of the operator's docs, as written, in document order, against a control
// plane of this file's own (the docs install, upgrade and uninstall the release that the rest of
// the run shares, so they cannot use the shared plane). kubectl, helm and `kubectl agentry` are
// on PATH, KUBECONFIG names the plane, and the working directory mirrors the repository (its
// entries symlinked into a temporary directory, so files the docs write stay out of the tree).
// The operator pods the chart creates are played by the real operator (operator-pods.ts).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PLUGIN_ENTRY } from "../operator/cli/plugin-runner.ts";
import { describeWithCluster } from "../support/cluster.ts";
import { loadClusterEnv, REPO_ROOT } from "../support/cluster-env.ts";
import { downPlane, upPlane } from "../support/cluster-plane.ts";
import type { CodeBlock } from "../support/markdown-code-blocks.ts";
import { type OperatorPods, playOperatorPods } from "../support/operator-pods.ts";
import { documentedBlocks, RUN_DOCS, RUNNABLE } from "./documented-commands.ts";

const BLOCK_TIMEOUT_MS = 240_000;
const docsPlane = { ...loadClusterEnv(), stateDir: `${loadClusterEnv().stateDir}-docs` };

/** What a failure report shows besides the block's own output. */
const AGENTS_NOW: CodeBlock = {
  file: "",
  line: 0,
  info: RUNNABLE,
  heading: "",
  text: "kubectl get agd --all-namespaces -o wide",
};

interface Shell {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

interface BlockRun {
  code: number | null;
  output: string;
}

/** The block as a bash script that stops at the first failing command, killed with its children on timeout. */
function runBlock(block: CodeBlock, shell: Shell): Promise<BlockRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `set -euo pipefail\n${block.text}\n`], {
      cwd: shell.cwd,
      env: shell.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      output += `\n[killed after ${BLOCK_TIMEOUT_MS / 1000} s]`;
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // The group ended on its own in the meantime.
      }
    }, BLOCK_TIMEOUT_MS - 5_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describeWithCluster("docs: every sh block of the operator's docs runs as written", (cluster) => {
  let shell: Shell | undefined;
  let pods: OperatorPods | undefined;
  let failed: string | undefined;
  let scratch = "";

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "agentry-docs-"));
    await downPlane(docsPlane, () => {});
    // No CRD yet: the docs start where a user's new cluster does, and `helm install` brings it.
    const { state } = await upPlane(docsPlane, { startedBy: "test", log: () => {}, projectCrds: false });
    const bin = path.join(scratch, "bin");
    const cwd = path.join(scratch, "repo");
    const home = path.join(scratch, "home");
    for (const dir of [bin, cwd, home]) mkdirSync(dir);
    symlinkSync(cluster.binaries.kubectl, path.join(bin, "kubectl"));
    symlinkSync(cluster.binaries.helm, path.join(bin, "helm"));
    symlinkSync(PLUGIN_ENTRY, path.join(bin, "kubectl-agentry"));
    for (const entry of readdirSync(REPO_ROOT)) {
      if (entry !== ".git") symlinkSync(path.join(REPO_ROOT, entry), path.join(cwd, entry));
    }
    shell = {
      cwd,
      env: {
        PATH: [bin, path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(
          path.delimiter,
        ),
        HOME: home,
        KUBECONFIG: state.kubeconfig,
        LANG: "C.UTF-8",
      },
    };
    pods = playOperatorPods({ kubectl: cluster.binaries.kubectl, kubeconfig: state.kubeconfig });
  }, 240_000);

  afterAll(async () => {
    await pods?.stop();
    await downPlane(docsPlane, () => {});
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  for (const doc of RUN_DOCS) {
    for (const block of documentedBlocks(doc).filter((candidate) => candidate.info === RUNNABLE)) {
      const firstLine = block.text.split("\n")[0] ?? "";
      it(`${doc}:${block.line} (${block.heading}): ${firstLine}`, {
        timeout: BLOCK_TIMEOUT_MS,
      }, async (context) => {
        if (failed) context.skip(`an earlier block failed: ${failed}`);
        if (!shell) throw new Error("the docs plane did not start");
        const result = await runBlock(block, shell);
        if (result.code !== 0) {
          failed = `${doc}:${block.line}`;
          const operators = (pods?.logs() ?? []).slice(-40).join("\n");
          const agents = await runBlock(AGENTS_NOW, shell);
          expect.fail(
            `${doc}:${block.line} exited with ${result.code}:\n${block.text}\n--- output ---\n${result.output}\n--- agents now ---\n${agents.output}\n--- operator pods (last lines) ---\n${operators}`,
          );
        }
      });
    }
  }

  it("every operator pod could be played", () => {
    expect(pods?.problems ?? []).toEqual([]);
  });
});
