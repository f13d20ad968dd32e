import { readFile, writeFile } from "node:fs/promises";
import { stringify } from "yaml";
import type { KeyPair } from "./cluster-pki.ts";

export const CONTEXT_NAME = "agentry-test";

/**
 * Writes a kubeconfig with the certificates embedded, so it keeps working when copied elsewhere.
 */
export async function writeKubeconfig(
  file: string,
  server: string,
  caCert: string,
  client: KeyPair,
): Promise<void> {
  const b64 = async (p: string) => (await readFile(p)).toString("base64");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: CONTEXT_NAME, cluster: { server, "certificate-authority-data": await b64(caCert) } }],
    users: [
      {
        name: CONTEXT_NAME,
        user: { "client-certificate-data": await b64(client.cert), "client-key-data": await b64(client.key) },
      },
    ],
    contexts: [
      { name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME, namespace: "default" } },
    ],
    "current-context": CONTEXT_NAME,
    preferences: {},
  };
  await writeFile(file, stringify(config), { mode: 0o600 });
}
