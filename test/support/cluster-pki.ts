import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runChecked } from "./cluster-exec.ts";

const OPENSSL = "openssl";

/** A client certificate identity: CN is the user name, O the groups. */
export interface Identity {
  commonName: string;
  organization?: string;
}

export interface KeyPair {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: KeyPair;
  apiserver: KeyPair;
  clients: Record<ClientName, KeyPair>;
  /** Service-account token signing key pair (private key and public key, PEM). */
  serviceAccount: { key: string; pub: string };
}

export type ClientName = "admin" | "controllerManager" | "scheduler" | "kwok";

/**
 * Who each component is. The controller manager and scheduler use their real identities, so the
 * RBAC roles the API server bootstraps for them are what authorizes them, as in a real cluster.
 */
export const CLIENT_IDENTITIES: Record<ClientName, Identity> = {
  admin: { commonName: "agentry-admin", organization: "system:masters" },
  controllerManager: { commonName: "system:kube-controller-manager" },
  scheduler: { commonName: "system:kube-scheduler" },
  kwok: { commonName: "kwok-controller", organization: "system:masters" },
};

export const SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16";
const KUBERNETES_SERVICE_IP = "10.96.0.1";

const OPENSSL_CONFIG = `[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
`;

function leafExtensions(usage: "serverAuth" | "clientAuth", altNames: string[]): string {
  const lines = [
    "[leaf]",
    "basicConstraints = critical,CA:FALSE",
    "keyUsage = critical,digitalSignature,keyEncipherment",
    `extendedKeyUsage = ${usage}`,
    "authorityKeyIdentifier = keyid",
  ];
  if (altNames.length > 0) lines.push(`subjectAltName = ${altNames.join(",")}`);
  return `${lines.join("\n")}\n`;
}

function subject(identity: Identity): string {
  return `${identity.organization ? `/O=${identity.organization}` : ""}/CN=${identity.commonName}`;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/**
 * Generates a throw-away CA, the API server's serving certificate, one client certificate per
 * component and the service-account signing keys. ECDSA P-256 keys: fast to generate, and every
 * component accepts them.
 */
export async function generatePki(dir: string): Promise<Pki> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(dir, name);
  await writeFile(file("openssl.cnf"), OPENSSL_CONFIG);

  const ca = { cert: file("ca.crt"), key: file("ca.key") };
  await runChecked(OPENSSL, [
    "req",
    "-x509",
    "-new",
    ...EC_KEY,
    "-keyout",
    ca.key,
    "-out",
    ca.cert,
    "-days",
    "3650",
    "-subj",
    "/CN=agentry-test-ca",
    "-config",
    file("openssl.cnf"),
    "-extensions",
    "ca",
  ]);

  const sign = async (
    name: string,
    identity: Identity,
    usage: "serverAuth" | "clientAuth",
    altNames: string[],
  ) => {
    const pair = { cert: file(`${name}.crt`), key: file(`${name}.key`) };
    const csr = file(`${name}.csr`);
    const ext = file(`${name}.ext`);
    await writeFile(ext, leafExtensions(usage, altNames));
    await runChecked(OPENSSL, [
      "req",
      "-new",
      ...EC_KEY,
      "-keyout",
      pair.key,
      "-out",
      csr,
      "-subj",
      subject(identity),
      "-config",
      file("openssl.cnf"),
    ]);
    await runChecked(OPENSSL, [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-set_serial",
      `0x${randomBytes(16).toString("hex")}`,
      "-days",
      "3650",
      "-out",
      pair.cert,
      "-extfile",
      ext,
      "-extensions",
      "leaf",
    ]);
    await rm(csr);
    return pair;
  };

  const apiserver = await sign("apiserver", { commonName: "kube-apiserver" }, "serverAuth", [
    "IP:127.0.0.1",
    `IP:${KUBERNETES_SERVICE_IP}`,
    "DNS:localhost",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
  ]);
  const clients = {} as Record<ClientName, KeyPair>;
  for (const [name, identity] of Object.entries(CLIENT_IDENTITIES) as [ClientName, Identity][]) {
    clients[name] = await sign(`client-${name}`, identity, "clientAuth", []);
  }

  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const serviceAccount = { key: file("sa.key"), pub: file("sa.pub") };
  await writeFile(serviceAccount.key, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  await writeFile(serviceAccount.pub, publicKey.export({ type: "spki", format: "pem" }));

  return { dir, ca, apiserver, clients, serviceAccount };
}
