// `npm run cluster:down`: stops every process of the plane and removes its data; logs stay in
// the state directory until the next `cluster:up`.
import { loadClusterEnv } from "../support/cluster-env.ts";
import { downPlane, testRunsUsing } from "../support/cluster-plane.ts";

const env = loadClusterEnv();
const log = (line: string) => console.log(`[cluster:down] ${line}`);

// Test runs register themselves while they use the plane; stopping it under them fails them.
const force = process.argv.includes("--force");
const runs = testRunsUsing(env);
if (runs.length > 0 && !force) {
  console.error(
    `[cluster:down] ${runs.length} test run(s) (pid ${runs.join(", ")}) are using this plane; ` +
      "they stop it themselves when they end if they started it. `npm run cluster:down -- --force` stops it anyway.",
  );
  process.exit(1);
}

try {
  const stopped = await downPlane(env, log);
  log(stopped ? "control plane stopped" : "no control plane was running");
} catch (error) {
  console.error(`[cluster:down] FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
