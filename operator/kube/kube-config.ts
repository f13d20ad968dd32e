import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { findHomeDir, KubeConfig } from "@kubernetes/client-node/dist/config.js";
import { parse } from "yaml";
import { OIDC_AUTH_PROVIDER, OidcAuth } from "./oidc-auth.ts";
import { TOKEN_FILE_AUTH_PROVIDER, TokenFileAuth } from "./token-file-auth.ts";

/**
 * Loads the connection like kubectl does, through @kubernetes/client-node's KubeConfig: the merged
 * $KUBECONFIG list, else ~/.kube/config, else the in-cluster service account. KubeConfig does the
 * auth (client certificates, tokens, exec plugins, OIDC, impersonation, username/password) and the
 * transport options (proxy-url, tls-server-name, CA). Two gaps are filled here: client-go's
 * `tokenFile` user field, which KubeConfig does not read, and the `oidc` auth provider, whose
 * KubeConfig version cannot renew an expired id-token (see oidc-auth.ts).
 */
export function loadKubeConfig(): KubeConfig {
  const files = defaultFiles();
  // Without any, KubeConfig would quietly aim at http://localhost:8080 and fail on every request.
  if (files.length === 0 && !existsSync(IN_CLUSTER_TOKEN))
    throw new KubeConfigError(
      "no kubeconfig: set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account",
    );
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return withProjectAuth(kubeConfig, files);
}

export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
  readonly code = "KUBECONFIG_NOT_FOUND";
}

const IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export function kubeConfigFromFile(file: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(file);
  return withProjectAuth(kubeConfig, [file]);
}

/** The files `loadFromDefault` reads, in its order; none when it falls back to in-cluster. */
function defaultFiles(): string[] {
  const list = process.env.KUBECONFIG?.split(path.delimiter).filter(Boolean) ?? [];
  if (list.length > 0) return list;
  const home = findHomeDir();
  const file = home ? path.join(home, ".kube", "config") : undefined;
  return file && existsSync(file) ? [file] : [];
}

/**
 * Users with a `tokenFile` and no other credential get it as an auth provider that re-reads the
 * file when it changes (paths relative to the kubeconfig that names them, as kubectl resolves them).
 * Users with the `oidc` auth provider get the project's, which saves renewed tokens into the file
 * that defines the user (KubeConfig's own authenticators come first, so the provider is renamed).
 */
function withProjectAuth(kubeConfig: KubeConfig, files: string[]): KubeConfig {
  kubeConfig.addAuthenticator(new TokenFileAuth());
  kubeConfig.addAuthenticator(new OidcAuth());
  for (const file of files) {
    const raw = parse(readFileSync(file, "utf8")) as {
      users?: Array<{ name?: string; user?: Record<string, unknown> }>;
    } | null;
    for (const entry of raw?.users ?? []) {
      const index = kubeConfig.users.findIndex((user) => user.name === entry.name);
      const user = kubeConfig.users[index];
      if (!user) continue;
      const provider = user.authProvider as { name?: string } | undefined;
      if (provider?.name === "oidc") {
        kubeConfig.users[index] = { ...user, authProvider: { ...provider, name: OIDC_AUTH_PROVIDER, file } };
        continue;
      }
      const tokenFile = entry.user?.tokenFile;
      if (typeof tokenFile !== "string" || user.token || user.exec || user.authProvider) continue;
      kubeConfig.users[index] = {
        ...user,
        authProvider: {
          name: TOKEN_FILE_AUTH_PROVIDER,
          config: { path: path.resolve(path.dirname(file), tokenFile) },
        },
      };
    }
  }
  return kubeConfig;
}
