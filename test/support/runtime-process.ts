/**
 * Runs the real runtime (`node agent-runtime/server.ts`) as a child process on a free loopback
 * port, for process-level tests (signals, several replicas) and the benchmark.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { RUNTIME_NODE_FLAGS } from "../../agent-runtime/node-flags.ts";
import { freeLoopbackPort } from "./free-ports.ts";

export const SERVER_ENTRY = fileURLToPath(new URL("../../agent-runtime/server.ts", import.meta.url));

export type RuntimeProcess = {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Parsed JSON log lines written so far. */
  logs: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

async function waitForLivez(url: string, exited: Promise<unknown>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    try {
      const response = await fetch(`${url}/livez`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(gone ? "runtime exited before listening" : "runtime did not start in time");
}

/**
 * `stdout: "discard"` sends the logs to /dev/null (as a log shipper would consume them) so the
 * benchmark's load generator does not spend CPU reading them; readiness is then polled.
 */
export async function startRuntimeProcess(
  env: Record<string, string>,
  options: {
    startTimeoutMs?: number;
    stdout?: "parse" | "discard";
    /** V8 flags instead of RUNTIME_NODE_FLAGS (the benchmark compares settings). */
    nodeArgs?: string[];
    /** Entry script; default the TypeScript source, the benchmark passes the compiled one. */
    entry?: string;
  } = {},
): Promise<RuntimeProcess> {
  const discard = options.stdout === "discard";
  const fixedPort = discard ? String(await freeLoopbackPort()) : "0";
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? RUNTIME_NODE_FLAGS), options.entry ?? SERVER_ENTRY],
    {
      // Only what we pass: an AGENTRY_* variable of the calling shell must not leak into the test.
      env: { PATH: process.env.PATH ?? "", AGENTRY_HOST: "127.0.0.1", AGENTRY_PORT: fixedPort, ...env },
      stdio: ["ignore", discard ? "ignore" : "pipe", "pipe"],
    },
  );
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => stderr.push(line));

  const port = discard
    ? await waitForLivez(`http://127.0.0.1:${fixedPort}`, exited, options.startTimeoutMs ?? 15_000).then(() =>
        Number(fixedPort),
      )
    : await listeningPort();
  function listeningPort() {
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`runtime did not start in time; stderr:\n${stderr.join("\n")}`));
      }, options.startTimeoutMs ?? 15_000);
      void exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`runtime exited with ${code} before listening; stderr:\n${stderr.join("\n")}`));
      });
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on("line", (line) => {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        logs.push(entry);
        if (entry.msg === "agent runtime listening" && typeof entry.port === "number") {
          clearTimeout(timer);
          resolve(entry.port);
        }
      });
    });
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    child,
    logs,
    stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
