import { readFileSync, statSync } from "node:fs";
import type { OutgoingHttpHeaders } from "node:http";
import type { User } from "@kubernetes/client-node/dist/config_types.js";

/** The auth-provider name under which `loadKubeConfig` files a kubeconfig user's `tokenFile`. */
export const TOKEN_FILE_AUTH_PROVIDER = "agentry-token-file";

/**
 * Bearer token from a kubeconfig user's `tokenFile` (client-go's field), read again as soon as the
 * file changes (checked with a stat on every request), so a rotated token is used on the next
 * request. @kubernetes/client-node reads only `token-file`, once at load, and its own file
 * authenticator (used in-cluster) keeps a token for 60 s after it was replaced.
 */
export class TokenFileAuth {
  private readonly cache = new Map<string, { token: string; version: string }>();

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: string } | undefined)?.name === TOKEN_FILE_AUTH_PROVIDER;
  }

  async applyAuthentication(user: User, opts: { headers?: OutgoingHttpHeaders }): Promise<void> {
    const file = (user.authProvider as { config: { path: string } }).config.path;
    opts.headers ??= {};
    opts.headers.Authorization = `Bearer ${this.read(file)}`;
  }

  private read(file: string): string {
    const stat = statSync(file);
    const version = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    const cached = this.cache.get(file);
    if (cached?.version === version) return cached.token;
    const token = readFileSync(file, "utf8").trim();
    this.cache.set(file, { token, version });
    return token;
  }
}
