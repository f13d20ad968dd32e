// The control plane and the operator build the benchmarks run against.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { KubeApi } from "../../operator/kube/kube-api.ts";
import { type ClusterEnv, loadClusterEnv, REPO_ROOT } from "./cluster-env.ts";
import { downPlane, upPlane } from "./cluster-plane.ts";

export interface BenchPlane {
  env: ClusterEnv;
  kubeconfig: string;
  api: KubeApi;
  /** The operator script to run: dist/operator/main.js, or undefined for operator/main.ts. */
  operatorEntry: string | undefined;
  /** `dist` or `source` (BENCH_OPERATOR). */
  operatorSource: string;
  down(): Promise<void>;
}

/**
 * A plane of its own (AGENTRY_CLUSTER_STATE_DIR, default `bench-state` in the binaries' cache), so
 * tests or a `cluster:down` elsewhere cannot pull it away mid-run. What runs: `dist` (default)
 * builds with `npm run build` and runs dist/operator/main.js, as the image does; `source`
 * (BENCH_OPERATOR=source) runs operator/main.ts through Node's type stripping, which holds about
 * 30 MB more.
 */
export async function startBenchPlane(): Promise<BenchPlane> {
  const operatorSource = process.env.BENCH_OPERATOR ?? "dist";
  const operatorEntry =
    operatorSource === "source" ? undefined : path.join(REPO_ROOT, "dist", "operator", "main.js");
  const shared = loadClusterEnv();
  const env = loadClusterEnv({
    ...process.env,
    AGENTRY_CLUSTER_STATE_DIR:
      process.env.AGENTRY_CLUSTER_STATE_DIR ?? path.join(shared.binariesDir, "bench-state"),
  });
  if (operatorEntry) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
  const log = (line: string) => console.log(`[cluster] ${line}`);
  const { state } = await upPlane(env, { startedBy: "cli", log });
  const api = KubeApi.fromFile(state.kubeconfig);
  return {
    env,
    kubeconfig: state.kubeconfig,
    api,
    operatorEntry,
    operatorSource,
    down: async () => {
      api.close();
      await downPlane(env, log);
    },
  };
}
