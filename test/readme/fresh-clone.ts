// `npm run test:fresh-clone`: the README's two commands as a newcomer runs them. A clean clone of
// the committed HEAD, with a PATH that hides every real part installed from the operating system
// (Redis, Prometheus, kubectl, helm, ...), so only what the project builds or fetches itself is
// there:
//   1. `npm ci && npm run demo` exits 0 and ends with its farewell (the plane and Prometheus come
//      from the project's Go-built cache);
//   2. `npm ci && npm test` on a machine where nothing was built yet (an empty cache) exits 0 and
//      names each suite it skipped and how to get its part;
//   3. the suites that need the plane and Prometheus, with the plane built but Prometheus hidden,
//      are skipped (never an empty suite, which vitest counts as a failure).
// CI runs it after the main test run (.ci/run). Uncommitted changes are not in the clone.
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../support/cluster-env.ts";
import { hidingPath } from "./hiding-path.ts";

/** Installed by Debian packages, or by hand, and never needed by the README's commands. */
export const HIDDEN_EXECUTABLES = [
  "redis-server",
  "redis-cli",
  "redis-sentinel",
  "prometheus",
  "promtool",
  "kubectl",
  "helm",
  "etcd",
  "kube-apiserver",
  "kwok",
];

/** Variables that would point a run at a part outside the project, or make a skip a failure. */
const CLEARED_VARIABLES = [
  "KUBECONFIG",
  "AGENTRY_REQUIRE_REAL_PARTS",
  "AGENTRY_PROMETHEUS",
  "AGENTRY_PROMTOOL",
  "AGENTRY_REDIS_SERVER",
  "AGENTRY_CLUSTER_STATE_DIR",
  "AGENTRY_CACHE_DIR",
];

interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

const work = mkdtempSync(path.join(tmpdir(), "agentry-fresh-clone-"));
const checks: Check[] = [];

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CLEARED_VARIABLES) delete env[name];
  // npm run puts node_modules/.bin first; the machine's own Node runs npm itself.
  env.PATH = hidingPath(process.env.PATH ?? "", HIDDEN_EXECUTABLES, path.join(work, "bin"));
  return env;
}

/** Runs a shell command line in `cwd`, its output into a log file; resolves to exit code and output. */
function sh(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  log: string,
): Promise<{ code: number | null; output: string }> {
  console.log(`fresh-clone: $ ${command}   (output: ${log})`);
  return new Promise((resolve, reject) => {
    const file = createWriteStream(log);
    const child = spawn("bash", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(file, { end: false });
    child.stderr.pipe(file, { end: false });
    child.once("error", reject);
    child.once("close", (code) => file.end(() => resolve({ code, output: readFileSync(log, "utf8") })));
  });
}

function record(name: string, passed: boolean, output: string, why: string): void {
  const detail = passed ? why : `${why}\n--- last lines ---\n${output.split("\n").slice(-60).join("\n")}`;
  checks.push({ name, passed, detail });
  console.log(`fresh-clone: ${passed ? "PASS" : "FAIL"} ${name}: ${why}`);
}

async function main(): Promise<void> {
  const clone = path.join(work, "agentry");
  mkdirSync(path.join(work, "logs"));
  const logs = (name: string) => path.join(work, "logs", `${name}.log`);
  const env = baseEnv();
  const cloned = await sh(
    `git clone --quiet --no-hardlinks "${REPO_ROOT}" "${clone}"`,
    work,
    env,
    logs("clone"),
  );
  if (cloned.code !== 0) throw new Error(`git clone failed:\n${cloned.output}`);

  // 1. The demo, on a plane of its own (its own state dir) from the shared build cache.
  const demoState = path.join(work, "demo-plane");
  const demoEnv = { ...env, AGENTRY_CLUSTER_STATE_DIR: demoState };
  const demo = await sh("npm ci --no-audit --no-fund && npm run demo", clone, demoEnv, logs("demo"));
  const farewell = "Done. The local control plane is still running:";
  record(
    "npm ci && npm run demo",
    demo.code === 0 && demo.output.includes(farewell),
    demo.output,
    `exit ${demo.code}, ${demo.output.includes(farewell) ? "ends with" : "lacks"} "${farewell}"`,
  );
  await sh("npm run cluster:down", clone, demoEnv, logs("demo-down"));

  // 2. `npm test` on a machine where nothing was built yet.
  const emptyCache = path.join(work, "empty-cache");
  const fresh = await sh(
    "npm ci --no-audit --no-fund && npm test",
    clone,
    { ...env, AGENTRY_CACHE_DIR: emptyCache },
    logs("npm-test"),
  );
  const named = ["redis-server not available", "prometheus not available", "every *.integration.test.ts"];
  const missing = named.filter((text) => !fresh.output.includes(text));
  record(
    "npm ci && npm test with nothing built and no Redis",
    fresh.code === 0 &&
      missing.length === 0 &&
      /suite\(s\) SKIPPED because a real part is missing/.test(fresh.output),
    fresh.output,
    `exit ${fresh.code}${missing.length ? `; the summary does not name: ${missing.join(", ")}` : "; skipped suites named in the summary"}`,
  );

  // 3. The plane built, Prometheus hidden: the suites that need both are skipped, not failed.
  const planeState = path.join(work, "test-plane");
  const files = [
    "test/scripts/demo.integration.test.ts",
    "test/charts/agentry/alerts.integration.test.ts",
    "test/charts/agentry/promql.integration.test.ts",
  ];
  const hidden = await sh(
    `npx vitest run ${files.join(" ")}`,
    clone,
    {
      ...env,
      AGENTRY_CLUSTER_STATE_DIR: planeState,
      AGENTRY_PROMETHEUS: path.join(work, "no-prometheus"),
      AGENTRY_PROMTOOL: path.join(work, "no-promtool"),
    },
    logs("without-prometheus"),
  );
  record(
    "suites needing Prometheus, with the plane built and Prometheus hidden",
    hidden.code === 0 && !hidden.output.includes("No test found in suite") && / 0 failed/.test(hidden.output),
    hidden.output,
    `exit ${hidden.code}`,
  );
}

try {
  await main();
} catch (error) {
  checks.push({ name: "set-up", passed: false, detail: String(error) });
  console.log(`fresh-clone: FAIL set-up: ${String(error)}`);
}
for (const check of checks.filter((c) => !c.passed)) console.log(`\n${check.name}:\n${check.detail}`);
const failed = checks.filter((check) => !check.passed).length;
console.log(`\nfresh-clone: ${checks.length - failed} passed, ${failed} failed`);
if (failed === 0) rmSync(work, { recursive: true, force: true });
else console.log(`fresh-clone: logs kept in ${work}/logs`);
process.exit(failed === 0 ? 0 : 1);
