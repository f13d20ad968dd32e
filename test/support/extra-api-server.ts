// A second kube-apiserver for the running plane, with flags of its own (an authentication config,
// say): the plane's flags, certificates and etcd, as one more member of a highly available
// control plane. It serves the same objects under another port, so a test can try a server
// setting without restarting the plane that every other test file shares.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { isHealthy } from "./cluster-http.ts";
import { adminTls, apiserverArgs } from "./cluster-plane.ts";
import { isRunning, logTail, startProcess, stopProcess } from "./cluster-process.ts";
import { readState, statePaths } from "./cluster-state.ts";
import { freeLoopbackPorts } from "./free-ports.ts";
import { waitFor } from "./wait-for.ts";

export interface ExtraApiServer {
  /** https://127.0.0.1:PORT; its certificate is the plane's (same CA, same names). */
  readonly server: string;
  readonly log: string;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 90_000;

/**
 * Starts a kube-apiserver on the plane whose admin kubeconfig is `kubeconfig`, with the plane's
 * flags plus `extraArgs`, and returns once it is ready. `name` names its log file in the plane's
 * log directory.
 */
export async function startExtraApiServer(
  kubeconfig: string,
  name: string,
  extraArgs: string[],
): Promise<ExtraApiServer> {
  const stateDir = path.dirname(kubeconfig);
  const state = readState(stateDir);
  if (!state) throw new Error(`no control plane state in ${stateDir}`);
  const paths = statePaths(stateDir);
  const pki = (file: string) => path.join(paths.pki, file);
  const [port = 0] = await freeLoopbackPorts(1);
  const args = apiserverArgs(
    {
      ca: { cert: pki("ca.crt"), key: pki("ca.key") },
      apiserver: { cert: pki("apiserver.crt"), key: pki("apiserver.key") },
      serviceAccount: { key: pki("sa.key"), pub: pki("sa.pub") },
    },
    { apiserver: port, etcdClient: state.ports.etcdClient },
  );
  const log = path.join(paths.logs, `${name}.log`);
  // A fresh log per start, so a failed start shows only its own lines.
  writeFileSync(log, "");
  // The identity Lease is named after the host, so it would be the plane's API server's too: the
  // two would keep deleting and re-creating each other's.
  const identity = "--feature-gates=APIServerIdentity=false,UnknownVersionInteroperabilityProxy=false";
  const record = startProcess(state.binaries["kube-apiserver"], [...args, identity, ...extraArgs], log);
  const server = `https://127.0.0.1:${port}`;
  // The plane's records do not know this one: a test process that exits without stopping it (a
  // run cut short) takes it along rather than leaving it running.
  const killOnExit = () => {
    if (isRunning(record)) process.kill(record.pid, "SIGKILL");
  };
  process.once("exit", killOnExit);
  const stop = async () => {
    process.off("exit", killOnExit);
    await stopProcess(record);
  };
  try {
    await waitFor(
      `${name} at ${server}`,
      async () => {
        if (!isRunning(record)) throw new Error(`${name} exited during start-up:\n${logTail(record.log)}`);
        return isHealthy(`${server}/readyz`, adminTls(state));
      },
      STARTUP_TIMEOUT_MS,
      () => logTail(record.log),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { server, log: record.log, stop };
}
