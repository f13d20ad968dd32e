// Kubeconfig files for tests of the many ways a kubeconfig can describe the same cluster.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";

/** The parts of the plane's admin kubeconfig other kubeconfigs are made from. */
export interface AdminCredentials {
  server: string;
  caData: string;
  certData: string;
  keyData: string;
}

export function readAdminKubeconfig(file: string): AdminCredentials {
  const config = parse(readFileSync(file, "utf8")) as {
    clusters: Array<{ cluster: Record<string, string> }>;
    users: Array<{ user: Record<string, string> }>;
  };
  const cluster = config.clusters[0]?.cluster ?? {};
  const user = config.users[0]?.user ?? {};
  return {
    server: cluster.server ?? "",
    caData: cluster["certificate-authority-data"] ?? "",
    certData: user["client-certificate-data"] ?? "",
    keyData: user["client-key-data"] ?? "",
  };
}

/** Server, CA and bearer token of a token kubeconfig (the operator's, see operator-identity.ts). */
export function readTokenKubeconfig(file: string): { server: string; caData: string; token: string } {
  const config = parse(readFileSync(file, "utf8")) as {
    clusters: Array<{ cluster: Record<string, string> }>;
    users: Array<{ user: Record<string, string> }>;
  };
  const cluster = config.clusters[0]?.cluster ?? {};
  return {
    server: cluster.server ?? "",
    caData: cluster["certificate-authority-data"] ?? "",
    token: config.users[0]?.user.token ?? "",
  };
}

const dir = mkdtempSync(path.join(tmpdir(), "kubeconfig-"));
let written = 0;

/** Writes a one-context kubeconfig (or a partial one, for merged KUBECONFIG lists); returns its path. */
export function writeKubeconfigFile(parts: {
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  context?: boolean;
}): string {
  const file = path.join(dir, `kubeconfig-${written++}.yaml`);
  const config: Record<string, unknown> = { apiVersion: "v1", kind: "Config" };
  if (parts.cluster) config.clusters = [{ name: "test-cluster", cluster: parts.cluster }];
  if (parts.user) config.users = [{ name: "test-user", user: parts.user }];
  if (parts.context !== false) {
    config.contexts = [{ name: "test", context: { cluster: "test-cluster", user: "test-user" } }];
    config["current-context"] = "test";
  }
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

/** A file next to the kubeconfigs (token files, exec plugin scripts). */
export function testFile(name: string, content: string, mode = 0o600): string {
  const file = path.join(dir, name);
  writeFileSync(file, content, { mode });
  return file;
}
