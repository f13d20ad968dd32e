import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { KubeApi } from "../../../operator/kube/kube-api.ts";
import { KubeApiError } from "../../../operator/kube/kube-api-error.ts";
import { describeWithCluster, eventually, useTestNamespace } from "../../support/cluster.ts";
import { startForwardProxy } from "../../support/forward-proxy.ts";
import {
  type AdminCredentials,
  readAdminKubeconfig,
  testFile,
  writeKubeconfigFile,
} from "../../support/kubeconfig-file.ts";
import { startPathPrefixProxy } from "../../support/path-prefix-proxy.ts";

interface Review {
  status: { userInfo: { username: string } };
}

describeWithCluster("KubeApi: every way a kubeconfig can authenticate, against the API server", (cluster) => {
  const ns = useTestNamespace(cluster);
  const clients: KubeApi[] = [];
  let admin: AdminCredentials;
  const serviceAccount = (name: string) => `system:serviceaccount:${ns.name}:${name}`;
  const token = async (name: string) =>
    (await cluster.kubectl(["create", "token", name, "-n", ns.name, "--duration=15m"])).trim();
  const client = (api: KubeApi) => {
    clients.push(api);
    return api;
  };
  /** Who the API server says the client is (SelfSubjectReview), after a GET it needs RBAC for. */
  const whoAmI = async (api: KubeApi) => {
    const configMap = await api.get<{ metadata: { name: string } }>(
      `/api/v1/namespaces/${ns.name}/configmaps/kube-root-ca.crt`,
    );
    expect(configMap?.metadata.name).toBe("kube-root-ca.crt");
    const review = await api.create<Review>(
      "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
      "agentry",
    );
    return review.status.userInfo.username;
  };
  const cluster_ = () => ({ server: admin.server, "certificate-authority-data": admin.caData });
  const certificateUser = () => ({
    "client-certificate-data": admin.certData,
    "client-key-data": admin.keyData,
  });

  beforeAll(async () => {
    admin = readAdminKubeconfig(cluster.kubeconfig);
    for (const name of ["reader-a", "reader-b", "plugin"]) {
      await cluster.kubectl(["create", "serviceaccount", name, "-n", ns.name]);
      await cluster.kubectl([
        "create",
        "rolebinding",
        `${name}-view`,
        "--clusterrole=view",
        `--serviceaccount=${ns.name}:${name}`,
        "-n",
        ns.name,
      ]);
    }
  });

  afterAll(() => {
    for (const api of clients) api.close();
  });

  it("client certificate", async () => {
    expect(await whoAmI(client(KubeApi.fromFile(cluster.kubeconfig)))).toBe("agentry-admin");
  });

  it("bearer token", async () => {
    const file = writeKubeconfigFile({ cluster: cluster_(), user: { token: await token("reader-a") } });
    expect(await whoAmI(client(KubeApi.fromFile(file)))).toBe(serviceAccount("reader-a"));
  });

  it("tokenFile, rotated while the client runs: a revoked token is replaced by the next one", async () => {
    const tokenFile = testFile("rotating-token", `${await token("reader-a")}\n`);
    const api = client(KubeApi.fromFile(writeKubeconfigFile({ cluster: cluster_(), user: { tokenFile } })));
    expect(await whoAmI(api)).toBe(serviceAccount("reader-a"));
    await cluster.kubectl(["delete", "serviceaccount", "reader-a", "-n", ns.name]);
    await eventually(async () => {
      const error = await whoAmI(api).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      return error instanceof KubeApiError && error.status === 401;
    }, 30_000);
    testFile("rotating-token", `${await token("reader-b")}\n`);
    expect(await whoAmI(api)).toBe(serviceAccount("reader-b"));
  });

  it("exec credential plugin", async () => {
    const plugin = testFile(
      "credential-plugin.mjs",
      `process.stdout.write(JSON.stringify({
  apiVersion: "client.authentication.k8s.io/v1",
  kind: "ExecCredential",
  status: { token: process.env.PLUGIN_TOKEN, expirationTimestamp: new Date(Date.now() + 600000).toISOString() },
}));\n`,
    );
    const file = writeKubeconfigFile({
      cluster: cluster_(),
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: process.execPath,
          args: [plugin],
          env: [{ name: "PLUGIN_TOKEN", value: await token("plugin") }],
          interactiveMode: "Never",
        },
      },
    });
    expect(await whoAmI(client(KubeApi.fromFile(file)))).toBe(serviceAccount("plugin"));
  });

  it("server URL with a path, behind a reverse proxy", async () => {
    const pki = path.join(path.dirname(cluster.kubeconfig), "pki");
    const proxy = await startPathPrefixProxy({
      prefix: "/k8s/clusters/c-1",
      upstream: admin.server,
      cert: path.join(pki, "apiserver.crt"),
      key: path.join(pki, "apiserver.key"),
      ca: path.join(pki, "ca.crt"),
    });
    try {
      const file = writeKubeconfigFile({
        cluster: { ...cluster_(), server: proxy.url },
        user: { token: await token("reader-b") },
      });
      expect(await whoAmI(client(KubeApi.fromFile(file)))).toBe(serviceAccount("reader-b"));
      expect(proxy.paths).toContain(
        `/k8s/clusters/c-1/api/v1/namespaces/${ns.name}/configmaps/kube-root-ca.crt`,
      );
    } finally {
      await proxy.close();
    }
  });

  it("proxy-url: requests tunnel through the HTTP proxy", async () => {
    const proxy = await startForwardProxy();
    try {
      const file = writeKubeconfigFile({
        cluster: { ...cluster_(), "proxy-url": proxy.url },
        user: certificateUser(),
      });
      expect(await whoAmI(client(KubeApi.fromFile(file)))).toBe("agentry-admin");
      expect(proxy.seen).toContain(`CONNECT ${new URL(admin.server).host}`);
    } finally {
      await proxy.close();
    }
  });

  it("tls-server-name: the certificate is checked against that name, not the URL's host", async () => {
    const named = (name: string) =>
      client(
        KubeApi.fromFile(
          writeKubeconfigFile({
            cluster: { ...cluster_(), "tls-server-name": name },
            user: certificateUser(),
          }),
        ),
      );
    expect(await whoAmI(named("kubernetes.default.svc"))).toBe("agentry-admin");
    const error = await named("not-the-apiserver.example")
      .get("/api/v1/namespaces/default")
      .catch((failure) => failure);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).code).toBe("KUBE_API_UNREACHABLE");
    expect((error as Error).message).toMatch(/not-the-apiserver\.example/);
  });

  it("impersonation (as)", async () => {
    const file = writeKubeconfigFile({
      cluster: cluster_(),
      user: { ...certificateUser(), as: serviceAccount("reader-b") },
    });
    expect(await whoAmI(client(KubeApi.fromFile(file)))).toBe(serviceAccount("reader-b"));
  });

  it("a merged KUBECONFIG list: the context in one file, its user in another", async () => {
    const first = writeKubeconfigFile({ cluster: cluster_() });
    const second = writeKubeconfigFile({ user: { token: await token("reader-b") }, context: false });
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = [first, second].join(path.delimiter);
    try {
      expect(await whoAmI(client(KubeApi.fromDefault()))).toBe(serviceAccount("reader-b"));
    } finally {
      process.env.KUBECONFIG = saved;
    }
  });
});
