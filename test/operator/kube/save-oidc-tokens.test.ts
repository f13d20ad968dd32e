import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { saveOidcTokens } from "../../../operator/kube/save-oidc-tokens.ts";

const KUBECONFIG = `# written by hand
apiVersion: v1
kind: Config
users:
  - name: someone-else
    user:
      token: abc # keep me
  - name: alice
    user:
      auth-provider:
        name: oidc
        config:
          client-id: cli
          id-token: old-id
          refresh-token: old-refresh
current-context: test
`;

function kubeconfigFile(text = KUBECONFIG): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "oidc-save-")), "config");
  writeFileSync(file, text);
  return file;
}

describe("saveOidcTokens", () => {
  it("replaces the user's two tokens and leaves the rest of the file, comments included, as it was", () => {
    const file = kubeconfigFile();
    expect(saveOidcTokens(file, "alice", { idToken: "new-id", refreshToken: "new-refresh" })).toBeUndefined();
    const text = readFileSync(file, "utf8");
    expect(text).toBe(
      KUBECONFIG.replace("id-token: old-id", "id-token: new-id").replace(
        "refresh-token: old-refresh",
        "refresh-token: new-refresh",
      ),
    );
  });

  it("keeps the refresh token when the issuer sent no new one", () => {
    const file = kubeconfigFile();
    saveOidcTokens(file, "alice", { idToken: "new-id", refreshToken: undefined });
    const config = parse(readFileSync(file, "utf8")).users[1].user["auth-provider"].config;
    expect(config).toEqual({ "client-id": "cli", "id-token": "new-id", "refresh-token": "old-refresh" });
  });

  it("says why when the file cannot be written or no longer has the user", () => {
    expect(saveOidcTokens("/nonexistent/config", "alice", { idToken: "x", refreshToken: "y" })).toMatch(
      /ENOENT/,
    );
    expect(saveOidcTokens(kubeconfigFile(), "bob", { idToken: "x", refreshToken: "y" })).toMatch(
      /user "bob" is no longer in .*config/,
    );
  });
});
