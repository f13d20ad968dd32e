import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Log } from "./cluster-build.ts";
import { downloadModule } from "./cluster-build.ts";
import { componentVersion } from "./cluster-components.ts";
import type { ClusterEnv } from "./cluster-env.ts";

/**
 * Third-party manifests the plane installs, taken from the files of their Go modules (never
 * from a release URL): the Gateway API standard channel, the ServiceMonitor CRD, and kwok's
 * Stage CRD plus its default node and pod stages.
 */
export const GATEWAY_API = { module: "sigs.k8s.io/gateway-api", version: "v1.6.3" };
export const PROMETHEUS_OPERATOR = {
  module: "github.com/prometheus-operator/prometheus-operator",
  version: "v0.85.0",
};

const KWOK_FILES = [
  "kustomize/crd/bases/kwok.x-k8s.io_stages.yaml",
  "kustomize/stage/node/fast/node-initialize.yaml",
  "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
  "kustomize/stage/pod/fast/pod-ready.yaml",
  "kustomize/stage/pod/fast/pod-complete.yaml",
  "kustomize/stage/pod/fast/pod-delete.yaml",
];
const SERVICE_MONITOR_FILE = "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml";
const GATEWAY_DIR = "config/crd/standard";

export interface ManifestDirs {
  /** Gateway API standard CRDs (and their ValidatingAdmissionPolicy). */
  gatewayApi: string;
  /** monitoring.coreos.com ServiceMonitor CRD. */
  serviceMonitor: string;
  /** kwok Stage CRD (`crd/`) and default stages (`stages/`). */
  kwokCrd: string;
  kwokStages: string;
}

function sources() {
  return [
    GATEWAY_API,
    PROMETHEUS_OPERATOR,
    { module: "sigs.k8s.io/kwok", version: componentVersion("kwok") },
  ] as const;
}

export function manifestsDir(env: ClusterEnv): string {
  const key = sources()
    .map((s) => `${s.module}@${s.version}`)
    .concat(KWOK_FILES, SERVICE_MONITOR_FILE, GATEWAY_DIR)
    .join("\n");
  return path.join(
    env.binariesDir,
    `manifests-${createHash("sha256").update(key).digest("hex").slice(0, 12)}`,
  );
}

export function manifestDirs(root: string): ManifestDirs {
  return {
    gatewayApi: path.join(root, "gateway-api"),
    serviceMonitor: path.join(root, "servicemonitor"),
    kwokCrd: path.join(root, "kwok", "crd"),
    kwokStages: path.join(root, "kwok", "stages"),
  };
}

/** Copies the manifests out of the module cache into the harness cache (once). */
export async function fetchManifests(env: ClusterEnv, log: Log): Promise<ManifestDirs> {
  const root = manifestsDir(env);
  if (existsSync(root)) {
    log(`manifests: cached in ${root}`);
    return manifestDirs(root);
  }
  const started = performance.now();
  const tmp = `${root}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  const dirs = manifestDirs(tmp);
  const [gateway, prometheus, kwok] = await Promise.all(
    sources().map((s) => downloadModule(s.module, s.version)),
  );
  if (!gateway || !prometheus || !kwok) throw new Error("go mod download returned nothing");

  await mkdir(dirs.gatewayApi, { recursive: true });
  const gatewayFiles = (await readdir(path.join(gateway.Dir, GATEWAY_DIR))).filter((f) =>
    f.endsWith(".yaml"),
  );
  for (const file of gatewayFiles) {
    await copyFile(path.join(gateway.Dir, GATEWAY_DIR, file), path.join(dirs.gatewayApi, file));
  }
  await mkdir(dirs.serviceMonitor, { recursive: true });
  await copyFile(
    path.join(prometheus.Dir, SERVICE_MONITOR_FILE),
    path.join(dirs.serviceMonitor, path.basename(SERVICE_MONITOR_FILE)),
  );
  await mkdir(dirs.kwokCrd, { recursive: true });
  await mkdir(dirs.kwokStages, { recursive: true });
  for (const file of KWOK_FILES) {
    const target = file.includes("/crd/") ? dirs.kwokCrd : dirs.kwokStages;
    await copyFile(path.join(kwok.Dir, file), path.join(target, path.basename(file)));
  }

  if (existsSync(root)) await rm(tmp, { recursive: true, force: true });
  else await rename(tmp, root);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(
    `manifests: Gateway API ${GATEWAY_API.version}, ServiceMonitor ${PROMETHEUS_OPERATOR.version}, kwok stages (${seconds}s)`,
  );
  return manifestDirs(root);
}
