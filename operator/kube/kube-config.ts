import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";

const run = promisify(execFile);

/** Where and how to reach the API server, as the operator's HTTP client needs it. */
export interface ClusterConnection {
  server: URL;
  ca?: Buffer;
  insecureSkipTlsVerify: boolean;
  /** Client certificate auth. */
  cert?: Buffer;
  key?: Buffer;
  /** Bearer token; re-read (file, exec plugin) when it may have rotated. */
  token?: () => Promise<string | undefined>;
}

const IN_CLUSTER_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const TOKEN_FILE_REFRESH_MS = 60_000;

/**
 * Loads the connection like kubectl does: $KUBECONFIG (first file), else ~/.kube/config, else the
 * in-cluster service account. Reads the kubeconfig itself rather than through
 * @kubernetes/client-node, whose KubeConfig pulls the whole generated API into memory (about
 * 85 MB of RSS) for what is a YAML file, a token and three PEM blocks.
 */
export function loadClusterConnection(env: NodeJS.ProcessEnv = process.env): ClusterConnection {
  const configured = env.KUBECONFIG?.split(path.delimiter).find(Boolean);
  const file = configured ?? path.join(homedir(), ".kube", "config");
  try {
    return connectionFromKubeconfig(file);
  } catch (error) {
    if (configured || !env.KUBERNETES_SERVICE_HOST) throw error;
  }
  return inClusterConnection(env);
}

export function inClusterConnection(env: NodeJS.ProcessEnv = process.env): ClusterConnection {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  const server = new URL(`https://${host.includes(":") ? `[${host}]` : host}:${port}`);
  return {
    server,
    ca: readFileSync(path.join(IN_CLUSTER_DIR, "ca.crt")),
    insecureSkipTlsVerify: false,
    // Projected service-account tokens rotate: read the file again every minute.
    token: cachedFileToken(path.join(IN_CLUSTER_DIR, "token")),
  };
}

interface Kubeconfig {
  "current-context"?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters?: Array<{ name: string; cluster: Record<string, unknown> }>;
  users?: Array<{ name: string; user: Record<string, unknown> }>;
}

export function connectionFromKubeconfig(file: string): ClusterConnection {
  const config = parse(readFileSync(file, "utf8")) as Kubeconfig;
  const dir = path.dirname(file);
  const contextName = config["current-context"];
  const context = config.contexts?.find((candidate) => candidate.name === contextName)?.context;
  if (!context) throw new Error(`${file}: current-context "${contextName ?? ""}" is not defined`);
  const cluster = config.clusters?.find((candidate) => candidate.name === context.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== "string")
    throw new Error(`${file}: cluster "${context.cluster}" has no server`);
  const user = config.users?.find((candidate) => candidate.name === context.user)?.user ?? {};

  const connection: ClusterConnection = {
    server: new URL(cluster.server),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
  };
  const ca = pem(cluster["certificate-authority-data"], cluster["certificate-authority"], dir);
  if (ca) connection.ca = ca;
  const cert = pem(user["client-certificate-data"], user["client-certificate"], dir);
  const key = pem(user["client-key-data"], user["client-key"], dir);
  if (cert && key) {
    connection.cert = cert;
    connection.key = key;
  }
  if (typeof user.token === "string") {
    const token = user.token;
    connection.token = async () => token;
  } else if (typeof user.tokenFile === "string") {
    connection.token = cachedFileToken(path.resolve(dir, user.tokenFile));
  } else if (user.exec && typeof user.exec === "object") {
    connection.token = execPluginToken(user.exec as ExecConfig, connection);
  } else if (user["auth-provider"]) {
    throw new Error(
      `${file}: user "${context.user}" uses an auth-provider; use an exec credential plugin instead`,
    );
  }
  return connection;
}

function pem(data: unknown, file: unknown, dir: string): Buffer | undefined {
  if (typeof data === "string") return Buffer.from(data, "base64");
  if (typeof file === "string") return readFileSync(path.resolve(dir, file));
  return undefined;
}

function cachedFileToken(file: string): () => Promise<string> {
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > TOKEN_FILE_REFRESH_MS) {
      cached = { token: readFileSync(file, "utf8").trim(), at: Date.now() };
    }
    return cached.token;
  };
}

interface ExecConfig {
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  apiVersion?: string;
}

/** client.authentication.k8s.io exec plugins: run the command, cache the token until it expires. */
function execPluginToken(exec: ExecConfig, connection: ClusterConnection): () => Promise<string | undefined> {
  let cached: { token: string | undefined; expires: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.expires) return cached.token;
    const env = {
      ...process.env,
      ...Object.fromEntries((exec.env ?? []).map(({ name, value }) => [name, value])),
    };
    const { stdout } = await run(exec.command, exec.args ?? [], { env, timeout: 60_000 });
    const credential = JSON.parse(stdout) as {
      status?: {
        token?: string;
        expirationTimestamp?: string;
        clientCertificateData?: string;
        clientKeyData?: string;
      };
    };
    const status = credential.status ?? {};
    if (status.clientCertificateData && status.clientKeyData) {
      connection.cert = Buffer.from(status.clientCertificateData);
      connection.key = Buffer.from(status.clientKeyData);
    }
    const expires = status.expirationTimestamp
      ? Date.parse(status.expirationTimestamp) - 60_000
      : Date.now() + 10 * 60_000;
    cached = { token: status.token, expires };
    return status.token;
  };
}
