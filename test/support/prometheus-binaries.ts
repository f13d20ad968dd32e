/**
 * prometheus and promtool as the project builds them from their Go module (`npm run
 * cluster:build`, the `prometheus` component), so the analysis tests, the chart's alert tests and
 * the demo need nothing from the operating system's packages. AGENTRY_PROMETHEUS and
 * AGENTRY_PROMTOOL, when set, name the only candidate (point one elsewhere to test the skip).
 */
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { componentDir } from "./cluster-components.ts";
import { loadClusterEnv } from "./cluster-env.ts";

export type PrometheusBinary = "prometheus" | "promtool";

export const PROMETHEUS_HOW_TO_BUILD = "build it with `npm run cluster:build -- prometheus`";

const OVERRIDES: Record<PrometheusBinary, string> = {
  prometheus: "AGENTRY_PROMETHEUS",
  promtool: "AGENTRY_PROMTOOL",
};

/** Where `npm run cluster:build` puts the binary built from the current go.mod. */
export function builtPrometheusBinary(name: PrometheusBinary, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(componentDir(loadClusterEnv(env), "prometheus"), name);
}

export function findPrometheusBinary(
  name: PrometheusBinary,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const candidate = env[OVERRIDES[name]] || builtPrometheusBinary(name, env);
  try {
    accessSync(candidate, constants.X_OK);
    return candidate;
  } catch {
    return undefined;
  }
}
