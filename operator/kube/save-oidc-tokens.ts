import { readFileSync, writeFileSync } from "node:fs";
import { parseDocument } from "yaml";

/**
 * Writes a renewed id-token and refresh-token into the kubeconfig file that defines the user, as
 * kubectl does, so the next process starts from them (an identity provider that rotates refresh
 * tokens refuses the old one). Only those two values change; comments and the rest of the file
 * stay as they were. Returns the reason when the file cannot be written (a read-only mount).
 */
export function saveOidcTokens(
  file: string,
  userName: string,
  tokens: { idToken: string; refreshToken: string | undefined },
): string | undefined {
  try {
    const document = parseDocument(readFileSync(file, "utf8"));
    const users = document.toJS()?.users as Array<{ name?: unknown }> | undefined;
    const index = users?.findIndex((user) => user.name === userName) ?? -1;
    if (index < 0) return `user "${userName}" is no longer in ${file}`;
    const config = ["users", index, "user", "auth-provider", "config"];
    document.setIn([...config, "id-token"], tokens.idToken);
    if (tokens.refreshToken !== undefined) document.setIn([...config, "refresh-token"], tokens.refreshToken);
    // In place, as kubectl writes it: a symlinked kubeconfig stays a symlink, the mode stays.
    writeFileSync(file, document.toString());
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
