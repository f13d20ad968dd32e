// `npm run cluster:up`: starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
// kwok on 127.0.0.1, or reuses a healthy plane that is already running; prints the KUBECONFIG line.
import { loadClusterEnv } from "../support/cluster-env.ts";
import { exportLine, upPlane } from "../support/cluster-plane.ts";

const env = loadClusterEnv();
const log = (line: string) => console.log(`[cluster:up] ${line}`);

try {
  const { state, reused, seconds } = await upPlane(env, { startedBy: "cli", log });
  log(
    `${reused ? "already running" : "control plane up"} in ${seconds.toFixed(1)}s (state in ${env.stateDir})`,
  );
  console.log(`\n${exportLine(state)}\n# kubectl built for it: ${state.binaries.kubectl}\n`);
} catch (error) {
  console.error(`[cluster:up] FAILED: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.cause instanceof Error) console.error(error.cause.message);
  process.exit(1);
}
