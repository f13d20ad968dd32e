/**
 * Starts a command the way a pod with `runAsUser`/`runAsGroup` and `readOnlyRootFilesystem: true`
 * runs it: in a mount namespace of its own (util-linux `unshare`) where the filesystems holding `/`,
 * /tmp and the given paths are remounted read-only, then as the given uid and gid with no
 * supplementary groups and no capabilities (util-linux `setpriv`). /proc, /dev and /dev/shm stay as
 * they are, as in a container. Needs root (the test runs as root in CI).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";

export type ReadOnlyProcessOptions = {
  cwd: string;
  env: Record<string, string>;
  uid: number;
  gid: number;
  /** Paths whose filesystems are made read-only too, besides / and /tmp. */
  readOnlyPaths?: string[];
};

export type ReadOnlyProcess = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

function wrapped(argv: string[], options: ReadOnlyProcessOptions): string[] {
  const paths = ["/", "/tmp", ...(options.readOnlyPaths ?? [])];
  const script = [
    "set -e",
    ...paths.map((p) => `mount -o remount,bind,ro "$(findmnt -n -o TARGET -T ${quote(p)})"`),
    `exec setpriv --reuid=${options.uid} --regid=${options.gid} --clear-groups --inh-caps=-all --no-new-privs -- "$@"`,
  ].join("\n");
  return ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", ...argv];
}

export function startReadOnlyProcess(argv: string[], options: ReadOnlyProcessOptions): ReadOnlyProcess {
  const child = spawn("unshare", wrapped(argv, options), {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("error", (error) => {
      chunks.push(String(error));
      resolve({ code: null, signal: null });
    });
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  return { child, output: () => chunks.join(""), exited };
}

/** Runs a command to its end; resolves to its exit code and output. */
export async function runReadOnly(argv: string[], options: ReadOnlyProcessOptions) {
  const started = startReadOnlyProcess(argv, options);
  const { code } = await started.exited;
  return { code, output: started.output() };
}

/** Whether this machine can run such a process, and why not. */
export function readOnlyProcessSupport(): { available: boolean; reason: string } {
  if (process.getuid?.() !== 0)
    return { available: false, reason: "it needs root to remount read-only and switch to uid 1000" };
  const probe = spawnSync("unshare", wrapped(["true"], { cwd: "/", env: {}, uid: 1000, gid: 1000 }), {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
  });
  if (probe.status === 0) return { available: true, reason: "" };
  return {
    available: false,
    reason: `util-linux unshare/setpriv/findmnt could not run it: ${probe.error ?? probe.stderr.trim()}`,
  };
}
