// `npm run cluster:status`: what is running, where, and whether it is healthy. Exits 1 when the
// plane is not running or not healthy, so scripts can test it.
import { existsSync } from "node:fs";
import { argocdLuaBinary } from "../support/argocd-lua.ts";
import { findBinaries } from "../support/cluster-components.ts";
import { loadClusterEnv } from "../support/cluster-env.ts";
import { exportLine, planeStatus } from "../support/cluster-plane.ts";
import { readState } from "../support/cluster-state.ts";

const env = loadClusterEnv();
const { missing } = findBinaries(env);
console.log(
  `binaries: ${missing.length === 0 ? "built" : `${missing.length} missing (npm run cluster:build)`}`,
);
console.log(
  `argocd-lua (Argo CD's Lua, for tests): ${existsSync(argocdLuaBinary(env)) ? "built" : "missing (npm run cluster:build -- lua)"}`,
);

const state = readState(env.stateDir);
if (!state) {
  console.log(`control plane: not running (state dir ${env.stateDir})`);
  process.exit(1);
}
const components = await planeStatus(state);
console.log(
  `control plane: started ${state.startedAt} by ${state.startedBy}${state.ready ? "" : " (start-up did not finish)"}`,
);
for (const c of components) {
  const health = c.healthy ? "healthy" : c.running ? "UNHEALTHY" : "NOT RUNNING";
  console.log(`  ${c.name.padEnd(24)} ${health.padEnd(11)} pid ${String(c.pid ?? "-").padEnd(8)} ${c.url}`);
  if (!c.healthy) console.log(`  ${"".padEnd(24)} log: ${c.log}`);
}
const healthy = state.ready && components.every((c) => c.healthy);
console.log(`\n${exportLine(state)}\n# kubectl built for it: ${state.binaries.kubectl}`);
process.exit(healthy ? 0 : 1);
