// `npm run cluster:build [-- component...]`: builds etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kubectl, kwok, helm (Helm 4), helm3 (Helm 3), argocd-lua, kstatus, prometheus and
// promtool from the pinned Go modules in test/cluster/go/ into the cache outside the repository, one
// component at a time, skipping what is already there.
import path from "node:path";
import type { BuildResult } from "../support/cluster-build.ts";
import { buildComponent, formatSeconds } from "../support/cluster-build.ts";
import type { ComponentName } from "../support/cluster-components.ts";
import { COMPONENT_NAMES, COMPONENTS, componentDir } from "../support/cluster-components.ts";
import { loadClusterEnv } from "../support/cluster-env.ts";
import { run } from "../support/cluster-exec.ts";
import { fetchManifests } from "../support/cluster-manifests.ts";

const env = loadClusterEnv();
const log = (line: string) => console.log(`[cluster:build] ${line}`);

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !COMPONENT_NAMES.includes(name as ComponentName));
if (unknown.length > 0) {
  console.error(`unknown component(s): ${unknown.join(", ")}; known: ${COMPONENT_NAMES.join(", ")}`);
  process.exit(2);
}
const names = requested.length > 0 ? (requested as ComponentName[]) : COMPONENT_NAMES;

const started = performance.now();
const results: BuildResult[] = [];
try {
  // Two cores: one component at a time, each `go build` uses both.
  for (const name of names) results.push(await buildComponent(env, name, log));
  await fetchManifests(env, log);
} catch (error) {
  console.error(`[cluster:build] FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

console.log("\n component    time      binaries");
for (const result of results) {
  const time = result.skipped ? "cached" : formatSeconds(result.seconds);
  console.log(` ${result.name.padEnd(12)} ${time.padEnd(9)} ${result.dir}`);
}
console.log(` total        ${formatSeconds((performance.now() - started) / 1000)}\n`);

// Each binary says which version it is, so a wrong ldflag shows up here and not in a test.
for (const name of names) {
  for (const binary of Object.keys(COMPONENTS[name].binaries)) {
    const file = path.join(componentDir(env, name), binary);
    const args =
      binary === "kubectl"
        ? ["version", "--client"]
        : binary.startsWith("helm")
          ? ["version"]
          : ["--version"];
    const { stdout, stderr } = await run(file, args);
    const firstLine = (stdout || stderr).trim().split("\n")[0];
    console.log(` ${binary.padEnd(24)} ${firstLine}`);
  }
}
