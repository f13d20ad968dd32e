import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { connectionFromKubeconfig, loadClusterConnection } from "../../../operator/kube/kube-config.ts";

const dir = mkdtempSync(path.join(tmpdir(), "kubeconfig-"));
const b64 = (text: string) => Buffer.from(text).toString("base64");

function kubeconfig(name: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}) {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "main",
      contexts: [
        { name: "other", context: { cluster: "nope", user: "nope" } },
        { name: "main", context: { cluster: "c", user: "u" } },
      ],
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443", ...cluster } }],
      users: [{ name: "u", user }],
    }),
  );
  return file;
}

describe("connectionFromKubeconfig", () => {
  it("reads the current context's server, CA and client certificate (inline data)", () => {
    const connection = connectionFromKubeconfig(
      kubeconfig(
        "certs",
        { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") },
        { "certificate-authority-data": b64("CA") },
      ),
    );
    expect(connection.server.href).toBe("https://127.0.0.1:6443/");
    expect(connection.ca?.toString()).toBe("CA");
    expect(connection.cert?.toString()).toBe("CERT");
    expect(connection.key?.toString()).toBe("KEY");
    expect(connection.insecureSkipTlsVerify).toBe(false);
    expect(connection.token).toBeUndefined();
  });

  it("reads PEM files relative to the kubeconfig and honours insecure-skip-tls-verify", () => {
    writeFileSync(path.join(dir, "ca.pem"), "CA-FILE");
    const connection = connectionFromKubeconfig(
      kubeconfig("files", {}, { "certificate-authority": "ca.pem", "insecure-skip-tls-verify": true }),
    );
    expect(connection.ca?.toString()).toBe("CA-FILE");
    expect(connection.insecureSkipTlsVerify).toBe(true);
  });

  it("uses a static token or a token file", async () => {
    expect(await connectionFromKubeconfig(kubeconfig("token", { token: "abc" })).token?.()).toBe("abc");
    writeFileSync(path.join(dir, "token.txt"), "from-file\n");
    expect(
      await connectionFromKubeconfig(kubeconfig("token-file", { tokenFile: "token.txt" })).token?.(),
    ).toBe("from-file");
  });

  it("runs an exec credential plugin and caches its token until it expires", async () => {
    const plugin = path.join(dir, "plugin.sh");
    const counter = path.join(dir, "calls");
    writeFileSync(counter, "");
    writeFileSync(
      plugin,
      `#!/bin/sh\necho x >> ${counter}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-'"$GREETING"'","expirationTimestamp":"2999-01-01T00:00:00Z"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const connection = connectionFromKubeconfig(
      kubeconfig("exec", {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: plugin,
          env: [{ name: "GREETING", value: "hi" }],
        },
      }),
    );
    expect(await connection.token?.()).toBe("exec-hi");
    expect(await connection.token?.()).toBe("exec-hi");
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(counter, "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("says which context is missing", () => {
    const file = path.join(dir, "broken");
    writeFileSync(file, stringify({ "current-context": "ghost", contexts: [] }));
    expect(() => connectionFromKubeconfig(file)).toThrow('current-context "ghost" is not defined');
  });

  it("takes the first file of $KUBECONFIG", () => {
    const file = kubeconfig("env", { token: "t" });
    expect(loadClusterConnection({ KUBECONFIG: `${file}${path.delimiter}/nonexistent` }).server.port).toBe(
      "6443",
    );
  });
});
