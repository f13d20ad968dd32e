// `npm run demo` as a child process (node scripts/demo.ts), for the demo's tests.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "../support/cluster-env.ts";

export interface DemoRun {
  readonly child: ChildProcess;
  /** stdout and stderr so far, in arrival order. */
  output(): string;
  /** Resolves once the output contains `text`; rejects if the demo ends first. */
  waitForOutput(text: RegExp): Promise<RegExpMatchArray>;
  readonly exited: Promise<number | null>;
}

export function startDemo(env: NodeJS.ProcessEnv): DemoRun {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "scripts/demo.ts")], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr])
    stream?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      for (const listener of listeners) listener();
    });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitForOutput: (text) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(text);
          if (!match) return;
          listeners.delete(check);
          resolve(match);
        };
        listeners.add(check);
        check();
        void exited.then((code) => {
          if (listeners.delete(check))
            reject(new Error(`the demo exited (${code}) before printing ${text}:\n${output}`));
        });
      }),
  };
}

/** Environment for the demo: this process's, with `KUBECONFIG` and AGENTRY_DEMO_LOCAL as given. */
export function demoEnv(overrides: { KUBECONFIG?: string; AGENTRY_DEMO_LOCAL?: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AGENTRY_LOG_LEVEL: "warn" };
  delete env.KUBECONFIG;
  delete env.AGENTRY_DEMO_LOCAL;
  return { ...env, ...overrides };
}
