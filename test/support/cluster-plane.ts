import { existsSync, readdirSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Binaries } from "./cluster-components.ts";
import { requireBinaries } from "./cluster-components.ts";
import type { ClusterEnv } from "./cluster-env.ts";
import { REPO_ROOT } from "./cluster-env.ts";
import { isHealthy } from "./cluster-http.ts";
import type { ProjectCrds } from "./cluster-install.ts";
import { applyProjectCrds, installFakeNodes, installThirdPartyCrds, kubectl } from "./cluster-install.ts";
import { writeKubeconfig } from "./cluster-kubeconfig.ts";
import { isPidAlive, withLock } from "./cluster-lock.ts";
import { fetchManifests } from "./cluster-manifests.ts";
import type { ClientName, Pki } from "./cluster-pki.ts";
import { generatePki, SERVICE_CLUSTER_IP_RANGE } from "./cluster-pki.ts";
import type { ProcessRecord } from "./cluster-process.ts";
import { isRunning, logTail, startProcess, stopProcess } from "./cluster-process.ts";
import type { ComponentProcess, PlaneState, Ports } from "./cluster-state.ts";
import { PROCESS_ORDER, readState, statePaths, writeState } from "./cluster-state.ts";
import { freeLoopbackPorts } from "./free-ports.ts";
import { waitFor } from "./wait-for.ts";

export type Log = (line: string) => void;

export interface UpOptions {
  startedBy: PlaneState["startedBy"];
  log: Log;
  /**
   * false: leave crds/ unapplied, for tests of what a user meets on a cluster that has never seen
   * the CRD (a reused plane keeps whatever CRDs it has).
   */
  projectCrds?: boolean;
}

export interface UpResult {
  state: PlaneState;
  reused: boolean;
  seconds: number;
  projectCrds: ProjectCrds;
}

export const PROJECT_CRD_DIR = path.join(REPO_ROOT, "crds");

const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
const STARTUP_TIMEOUT_MS = 90_000;

/** Brings the plane up, or reuses a healthy one started from the same binaries. */
export function upPlane(env: ClusterEnv, options: UpOptions): Promise<UpResult> {
  return withLock(env.stateDir, () => upPlaneLocked(env, options));
}

/** Stops every recorded process and removes the plane's data (logs are kept for post-mortems). */
export function downPlane(env: ClusterEnv, log: Log): Promise<boolean> {
  return withLock(env.stateDir, () => downPlaneLocked(env, log));
}

/** For callers that already hold the state-dir lock (the test-run bookkeeping). */
export async function upPlaneLocked(env: ClusterEnv, options: UpOptions): Promise<UpResult> {
  const started = performance.now();
  const binaries = requireBinaries(env);
  const previous = readState(env.stateDir);
  if (previous && (await isPlaneHealthy(previous)) && sameBinaries(previous.binaries, binaries)) {
    // A human's `cluster:up` adopts a plane a test run started, so that run's end leaves it alone.
    const state = {
      ...previous,
      binaries,
      startedBy: options.startedBy === "cli" ? ("cli" as const) : previous.startedBy,
    };
    await writeState(env.stateDir, state);
    options.log(`reusing the running control plane at ${state.server}`);
    const projectCrds = await syncProjectCrds(state, options);
    return { state, reused: true, seconds: (performance.now() - started) / 1000, projectCrds };
  }
  if (previous) {
    options.log("a previous control plane is stale or unhealthy: stopping it and starting fresh");
    await downPlaneLocked(env, options.log);
  }
  const state = await startFresh(env, binaries, options);
  const projectCrds = await syncProjectCrds(state, options);
  return { state, reused: false, seconds: (performance.now() - started) / 1000, projectCrds };
}

async function syncProjectCrds(state: PlaneState, { log, projectCrds }: UpOptions): Promise<ProjectCrds> {
  if (projectCrds === false) {
    log(`project CRDs in ${PROJECT_CRD_DIR} left unapplied`);
    return { files: [] };
  }
  const result = await applyProjectCrds(state.binaries.kubectl, state.kubeconfig, PROJECT_CRD_DIR);
  if (result.error) {
    const bar = "!".repeat(100);
    log(
      `${bar}\n!! the API server REJECTED the project's CRDs in ${PROJECT_CRD_DIR}:\n${result.error}\n${bar}`,
    );
  } else if (result.files.length > 0) {
    log(`project CRDs applied and established: ${result.files.join(", ")}`);
  } else {
    log(`no project CRDs in ${PROJECT_CRD_DIR} yet`);
  }
  return result;
}

export async function downPlaneLocked(env: ClusterEnv, log: Log): Promise<boolean> {
  const state = readState(env.stateDir);
  const paths = statePaths(env.stateDir);
  let stopped = false;
  if (state) {
    for (const name of [...PROCESS_ORDER].reverse()) {
      const record = state.processes[name];
      if (record && isRunning(record)) {
        await stopProcess(record);
        log(`stopped ${name} (pid ${record.pid})`);
        stopped = true;
      }
    }
  }
  for (const dir of [
    paths.etcdData,
    paths.pki,
    paths.kubeconfigs,
    paths.certDirs,
    paths.users,
    paths.kubectlCache,
  ]) {
    await rm(dir, { recursive: true, force: true });
  }
  await rm(paths.stateFile, { force: true });
  await rm(paths.kubeconfig, { force: true });
  await rm(paths.kwokConfig, { force: true });
  return stopped;
}

/** Whether the running processes are the binaries built from the current pins (kubectl, helm aside). */
function sameBinaries(running: Binaries, current: Binaries): boolean {
  return PROCESS_ORDER.every((name) => running[name] === current[name]);
}

/** Every process alive (and still the recorded binary) and the API server ready. */
export async function isPlaneHealthy(state: PlaneState): Promise<boolean> {
  if (!state.ready) return false;
  if (!PROCESS_ORDER.every((name) => state.processes[name] && isRunning(state.processes[name]))) return false;
  return isHealthy(`${state.server}/readyz`, adminTls(state));
}

export function adminTls(state: PlaneState) {
  const pki = path.join(path.dirname(state.kubeconfig), "pki");
  return {
    ca: path.join(pki, "ca.crt"),
    cert: path.join(pki, "client-admin.crt"),
    key: path.join(pki, "client-admin.key"),
  };
}

async function startFresh(env: ClusterEnv, binaries: Binaries, options: UpOptions): Promise<PlaneState> {
  const { log } = options;
  const paths = statePaths(env.stateDir);
  const manifests = await fetchManifests(env, log);
  await rm(paths.logs, { recursive: true, force: true });
  for (const dir of [paths.logs, paths.kubeconfigs, paths.certDirs]) await mkdir(dir, { recursive: true });

  const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler, kwok] = await freeLoopbackPorts(6);
  const ports: Ports = {
    etcdClient: etcdClient ?? 0,
    etcdPeer: etcdPeer ?? 0,
    apiserver: apiserver ?? 0,
    controllerManager: controllerManager ?? 0,
    scheduler: scheduler ?? 0,
    kwok: kwok ?? 0,
  };
  const pki = await generatePki(paths.pki);
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const kubeconfigOf = (client: ClientName) =>
    client === "admin" ? paths.kubeconfig : path.join(paths.kubeconfigs, `${client}.kubeconfig`);
  for (const client of Object.keys(pki.clients) as ClientName[]) {
    await writeKubeconfig(kubeconfigOf(client), server, pki.ca.cert, pki.clients[client]);
  }
  // An empty config: kwok then uses its defaults and ignores whatever is in ~/.kwok/kwok.yaml
  // (a KwokConfiguration given in a file is not defaulted, and zero parallelism stops kwok).
  await writeFile(paths.kwokConfig, "# kwok defaults; stages are Stage objects in the cluster\n");

  const state: PlaneState = {
    formatVersion: 1,
    startedAt: new Date().toISOString(),
    startedBy: options.startedBy,
    ready: false,
    server,
    kubeconfig: paths.kubeconfig,
    ports,
    binaries,
    processes: {},
  };
  const tls = adminTls(state);
  const start = async (name: ComponentProcess, binary: string, args: string[]): Promise<ProcessRecord> => {
    const record = startProcess(binary, args, path.join(paths.logs, `${name}.log`));
    state.processes[name] = record;
    // Recorded at once, so `cluster:down` can clean up after a start that fails half-way.
    await writeState(env.stateDir, state);
    return record;
  };
  const waitHealthy = async (name: ComponentProcess, record: ProcessRecord, url: string, tlsFiles = {}) => {
    await waitFor(
      `${name} at ${url}`,
      async () => {
        if (!isRunning(record)) throw new Error(`${name} exited during start-up:\n${logTail(record.log)}`);
        return isHealthy(url, tlsFiles);
      },
      STARTUP_TIMEOUT_MS,
      () => logTail(record.log),
    );
  };

  try {
    const t0 = performance.now();
    const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
    const etcd = await start("etcd", binaries.etcd, etcdArgs(paths.etcdData, ports));
    await waitHealthy("etcd", etcd, `http://127.0.0.1:${ports.etcdClient}/health`);
    log(`etcd healthy on 127.0.0.1:${ports.etcdClient} (${elapsed()})`);

    const api = await start("kube-apiserver", binaries["kube-apiserver"], apiserverArgs(pki, ports));
    await waitHealthy("kube-apiserver", api, `${server}/readyz`, tls);
    log(`kube-apiserver ready on ${server} (${elapsed()})`);

    const certDir = (name: string) => path.join(paths.certDirs, name);
    const kcm = await start(
      "kube-controller-manager",
      binaries["kube-controller-manager"],
      controllerManagerArgs(
        pki,
        ports,
        kubeconfigOf("controllerManager"),
        certDir("kube-controller-manager"),
      ).concat(controllerThroughputArgs(env.controllerQps, "kube-controller-manager")),
    );
    const sched = await start(
      "kube-scheduler",
      binaries["kube-scheduler"],
      schedulerArgs(ports, kubeconfigOf("scheduler"), certDir("kube-scheduler")).concat(
        controllerThroughputArgs(env.controllerQps, "kube-scheduler"),
      ),
    );
    const kwokProcess = await start(
      "kwok",
      binaries.kwok,
      kwokArgs(ports, kubeconfigOf("kwok"), paths.kwokConfig),
    );

    const install = {
      kubectl: binaries.kubectl,
      kubeconfig: paths.kubeconfig,
      manifests,
      log: (line: string) => log(`${line} (${elapsed()})`),
    };
    await installThirdPartyCrds(install);
    await waitHealthy("kwok", kwokProcess, `http://127.0.0.1:${ports.kwok}/healthz`);
    await installFakeNodes(install);
    const insecure = { insecure: true };
    await waitHealthy("kube-scheduler", sched, `https://127.0.0.1:${ports.scheduler}/healthz`, insecure);
    await waitHealthy(
      "kube-controller-manager",
      kcm,
      `https://127.0.0.1:${ports.controllerManager}/healthz`,
      insecure,
    );
    // The service-account controller creating `default` proves the controllers really run.
    await waitFor(
      "the controller manager to create the default ServiceAccount",
      async () => {
        if (!isRunning(kcm)) throw new Error(`kube-controller-manager exited:\n${logTail(kcm.log)}`);
        const result = await kubectl(binaries.kubectl, paths.kubeconfig, [
          "get",
          "serviceaccounts",
          "-n",
          "default",
          "-o",
          "name",
        ]);
        return result.stdout.includes("serviceaccount/default");
      },
      STARTUP_TIMEOUT_MS,
      () => logTail(kcm.log),
      250,
    );
    log(`controller manager and scheduler healthy (${elapsed()})`);
    state.ready = true;
    await writeState(env.stateDir, state);
    return state;
  } catch (error) {
    log(`start-up failed; stopping what was started (logs kept in ${paths.logs})`);
    await downPlaneLocked(env, log);
    throw error;
  }
}

function etcdArgs(dataDir: string, ports: Ports): string[] {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    "--name=agentry-test",
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=agentry-test=${peer}`,
    // Test data is thrown away with the plane; fsync would only slow every write down.
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

/** The plane's kube-apiserver flags; test/support/extra-api-server.ts starts a second one with them. */
export function apiserverArgs(
  pki: Pick<Pki, "ca" | "apiserver" | "serviceAccount">,
  ports: Pick<Ports, "apiserver" | "etcdClient">,
): string[] {
  return [
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${ports.apiserver}`,
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki.serviceAccount.pub}`,
    `--service-account-signing-key-file=${pki.serviceAccount.key}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    "--authorization-mode=RBAC",
    "--allow-privileged=true",
    // No kubelet or kube-proxy: the `kubernetes` Service's endpoint (a loopback address) would
    // only be rejected by validation on every reconcile.
    "--endpoint-reconciler-type=none",
    "--profiling=false",
  ];
}

function controllerManagerArgs(pki: Pki, ports: Ports, kubeconfig: string, certDir: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${certDir}`,
    "--leader-elect=false",
    // Default controllers (garbage collector, deployment, replicaset, ...), each with its own
    // service account as in a real cluster.
    "--controllers=*",
    "--use-service-account-credentials=true",
    `--service-account-private-key-file=${pki.serviceAccount.key}`,
    `--root-ca-file=${pki.ca.cert}`,
    `--cluster-signing-cert-file=${pki.ca.cert}`,
    `--cluster-signing-key-file=${pki.ca.key}`,
    "--profiling=false",
  ];
}

/** Raised client limits for benchmarks at thousands of agents (ClusterEnv.controllerQps). */
function controllerThroughputArgs(
  qps: number | undefined,
  component: "kube-controller-manager" | "kube-scheduler",
): string[] {
  if (qps === undefined) return [];
  const client = [`--kube-api-qps=${qps}`, `--kube-api-burst=${2 * qps}`];
  if (component === "kube-scheduler") return client;
  return [...client, "--concurrent-deployment-syncs=25", "--concurrent-replicaset-syncs=25"];
}

function schedulerArgs(ports: Ports, kubeconfig: string, certDir: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${ports.scheduler}`,
    `--cert-dir=${certDir}`,
    "--leader-elect=false",
    "--profiling=false",
  ];
}

function kwokArgs(ports: Ports, kubeconfig: string, config: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--config=${config}`,
    "--manage-all-nodes=false",
    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    "--cidr=10.244.0.1/16",
    "--node-ip=10.240.0.1",
    "--node-lease-duration-seconds=40",
    `--server-address=127.0.0.1:${ports.kwok}`,
    // Stages are Stage objects in the cluster, so tests can add their own (readiness failures).
    "--enable-crds=Stage",
  ];
}

export interface ComponentStatus {
  name: ComponentProcess;
  pid?: number;
  running: boolean;
  healthy: boolean;
  url?: string;
  log?: string;
}

/** Health of each component of a recorded plane, for `cluster:status`. */
export async function planeStatus(state: PlaneState): Promise<ComponentStatus[]> {
  const tls = adminTls(state);
  const urls: Record<ComponentProcess, [string, object]> = {
    etcd: [`http://127.0.0.1:${state.ports.etcdClient}/health`, {}],
    "kube-apiserver": [`${state.server}/readyz`, tls],
    "kube-controller-manager": [
      `https://127.0.0.1:${state.ports.controllerManager}/healthz`,
      { insecure: true },
    ],
    "kube-scheduler": [`https://127.0.0.1:${state.ports.scheduler}/healthz`, { insecure: true }],
    kwok: [`http://127.0.0.1:${state.ports.kwok}/healthz`, {}],
  };
  return Promise.all(
    PROCESS_ORDER.map(async (name) => {
      const record = state.processes[name];
      const running = record !== undefined && isRunning(record);
      const [url, tlsFiles] = urls[name];
      return {
        name,
        pid: record?.pid,
        running,
        healthy: running && (await isHealthy(url, tlsFiles)),
        url,
        log: record?.log,
      };
    }),
  );
}

export function exportLine(state: PlaneState): string {
  return `export KUBECONFIG=${state.kubeconfig}`;
}

export function hasState(env: ClusterEnv): boolean {
  return existsSync(statePaths(env.stateDir).stateFile);
}

/** Pids of live test runs registered as using the plane (see cluster-global-setup.ts). */
export function testRunsUsing(env: ClusterEnv): number[] {
  const dir = statePaths(env.stateDir).users;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map(Number)
    .filter((pid) => isPidAlive(pid));
}
