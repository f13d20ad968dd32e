// A second kube-apiserver on the test plane's etcd, under its own etcd prefix: a real API server
// with nothing installed (no CRDs), for what a client says to a cluster that lacks the project's
// CRD, without touching the shared plane every other test file uses.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isHealthy } from "./cluster-http.ts";
import { SERVICE_CLUSTER_IP_RANGE } from "./cluster-pki.ts";

export interface BareApiServer {
  /** https://127.0.0.1:PORT; the plane's CA signs its certificate and accepts its admin client. */
  readonly server: string;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on (bound, then closed at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

/** Starts it from the plane's binary, certificates and etcd (found next to `kubeconfig`). */
export async function startBareApiServer(
  apiserverBinary: string,
  kubeconfig: string,
): Promise<BareApiServer> {
  const stateDir = path.dirname(kubeconfig);
  const state = JSON.parse(readFileSync(path.join(stateDir, "state.json"), "utf8")) as {
    ports: { etcdClient: number };
  };
  const pki = path.join(stateDir, "pki");
  const port = await freePort();
  const child: ChildProcess = spawn(
    apiserverBinary,
    [
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${port}`,
      `--etcd-servers=http://127.0.0.1:${state.ports.etcdClient}`,
      `--etcd-prefix=/bare-${randomBytes(4).toString("hex")}`,
      `--tls-cert-file=${path.join(pki, "apiserver.crt")}`,
      `--tls-private-key-file=${path.join(pki, "apiserver.key")}`,
      `--client-ca-file=${path.join(pki, "ca.crt")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${path.join(pki, "sa.pub")}`,
      `--service-account-signing-key-file=${path.join(pki, "sa.key")}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      "--authorization-mode=RBAC",
      "--endpoint-reconciler-type=none",
      "--profiling=false",
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const server = `https://127.0.0.1:${port}`;
  const tls = {
    ca: path.join(pki, "ca.crt"),
    cert: path.join(pki, "client-admin.crt"),
    key: path.join(pki, "client-admin.key"),
  };
  const deadline = Date.now() + 60_000;
  while (!(await isHealthy(`${server}/readyz`, tls))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the bare kube-apiserver did not become ready (exit ${child.exitCode})`);
    }
    await sleep(250);
  }
  return {
    server,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
