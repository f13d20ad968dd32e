/**
 * LiteLLM's proxy, the peer a team would put in front of a model instead of the runtime, started
 * for the runtime benchmark (BENCH_LITELLM=1): one worker on loopback, routing one model name to
 * the benchmark's stub endpoint.
 *
 * It is installed with pip into a virtual environment in the cache directory
 * (`${AGENTRY_CACHE_DIR:-~/.cache/agentry}/litellm-venv`) on first use; later runs reuse it.
 * Nothing is downloaded at run time: the model cost map is the one the package ships
 * (LITELLM_LOCAL_MODEL_COST_MAP) and telemetry is off.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { freeLoopbackPort } from "../test/support/free-ports.ts";
import { waitFor } from "../test/support/wait-for.ts";

export type LiteLlmProxy = {
  url: string;
  pid: number;
  /** Bearer key for requests: the proxy refuses to start without a master key. */
  masterKey: string;
  child: ChildProcess;
  stop(): Promise<void>;
};

const PACKAGE = process.env.BENCH_LITELLM_PACKAGE ?? "litellm[proxy]";

function venvDir(): string {
  const cache = path.resolve(process.env.AGENTRY_CACHE_DIR || path.join(homedir(), ".cache", "agentry"));
  return path.join(cache, "litellm-venv");
}

/** The venv's `litellm` command, installing it first when missing. */
export function ensureLiteLlm(log: (line: string) => void): string {
  const venv = venvDir();
  const bin = path.join(venv, "bin", "litellm");
  if (existsSync(bin)) return bin;
  log(`installing ${PACKAGE} into ${venv} (first run only)...`);
  mkdirSync(path.dirname(venv), { recursive: true });
  execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
  execFileSync(path.join(venv, "bin", "pip"), ["install", "--quiet", PACKAGE], { stdio: "inherit" });
  if (!existsSync(bin)) throw new Error(`pip installed ${PACKAGE} but ${bin} is missing`);
  return bin;
}

/** Starts the proxy with `model` routed to the OpenAI-compatible `stubUrl` (ending in /v1). */
export async function startLiteLlmProxy(
  bin: string,
  options: { model: string; stubUrl: string },
): Promise<LiteLlmProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), "agentry-litellm-"));
  const config = path.join(dir, "config.yaml");
  writeFileSync(
    config,
    [
      "model_list:",
      `  - model_name: ${options.model}`,
      "    litellm_params:",
      `      model: openai/${options.model}`,
      `      api_base: ${options.stubUrl}`,
      "      api_key: sk-bench",
      "litellm_settings:",
      "  telemetry: false",
      "  turn_off_message_logging: true",
      "",
    ].join("\n"),
  );
  const port = await freeLoopbackPort();
  const masterKey = `sk-${randomBytes(24).toString("hex")}`;
  const child = spawn(
    bin,
    ["--config", config, "--host", "127.0.0.1", "--port", String(port), "--num_workers", "1"],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        LITELLM_MASTER_KEY: masterKey,
        LITELLM_LOCAL_MODEL_COST_MAP: "True",
        LITELLM_LOG: "ERROR",
        LITELLM_TELEMETRY: "False",
        // Measured as users run it, but without writing a line per request to the terminal.
        LITELLM_MODE: "PRODUCTION",
      },
    },
  );
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 200) stderr.shift();
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      "litellm to listen",
      async () => {
        if (exited) throw new Error(`litellm exited before listening:\n${stderr.join("").slice(-2000)}`);
        try {
          return (await fetch(`${url}/health/liveliness`)).ok;
        } catch {
          return false;
        }
      },
      120_000,
      () => stderr.join("").slice(-2000),
      250,
    );
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    pid: child.pid ?? 0,
    masterKey,
    child,
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (!exited) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
