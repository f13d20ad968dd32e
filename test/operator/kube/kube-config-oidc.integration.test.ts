import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { KubeApi } from "../../../operator/kube/kube-api.ts";
import { KubeApiError } from "../../../operator/kube/kube-api-error.ts";
import { OidcAuthError } from "../../../operator/kube/oidc-auth.ts";
import { describeWithCluster, eventually, useTestNamespace } from "../../support/cluster.ts";
import { generatePki } from "../../support/cluster-pki.ts";
import { type ExtraApiServer, startExtraApiServer } from "../../support/extra-api-server.ts";
import { readAdminKubeconfig, testFile, writeKubeconfigFile } from "../../support/kubeconfig-file.ts";
import { type OidcIssuer, startOidcIssuer } from "../../support/oidc-issuer.ts";
import { agentManifest } from "../agent-manifests.ts";
import { runPlugin } from "../cli/plugin-runner.ts";

/** The `oidc` provider's config as the kubeconfig file now holds it. */
function providerConfig(file: string): Record<string, string> {
  return parse(readFileSync(file, "utf8")).users[0].user["auth-provider"].config;
}

interface Review {
  status: { userInfo: { username: string } };
}

/** A public client (no secret), as kubectl's usually is, and a confidential one. */
const CLIENT_ID = "agentry-cli";
const CONFIDENTIAL_CLIENT_ID = "agentry-ops";
const CLIENT_SECRET = "ops-secret";

describeWithCluster(
  "KubeApi: a kubeconfig with an OIDC auth provider, against an API server that trusts the issuer",
  (cluster) => {
    const ns = useTestNamespace(cluster);
    const clients: KubeApi[] = [];
    let issuer: OidcIssuer;
    let apiServer: ExtraApiServer;
    let caData = "";

    /** A kubeconfig for the API server that trusts the issuer, whose user is an `oidc` auth provider. */
    const oidcUser = (config: Record<string, string>) => ({
      "auth-provider": {
        name: "oidc",
        config: {
          "idp-issuer-url": issuer.url,
          "client-id": CLIENT_ID,
          "idp-certificate-authority": issuer.caFile,
          ...config,
        },
      },
    });
    const apiServerCluster = () => ({ server: apiServer.server, "certificate-authority-data": caData });
    const oidcKubeconfig = (config: Record<string, string>) =>
      writeKubeconfigFile({ cluster: apiServerCluster(), user: oidcUser(config) });
    const client = (file: string) => {
      const api = KubeApi.fromFile(file);
      clients.push(api);
      return api;
    };
    /** Who the API server says the client is (SelfSubjectReview), after a list it needs RBAC for. */
    const whoAmI = async (api: KubeApi) => {
      const agents = await api.list(`/apis/agentry.dev/v1alpha1/namespaces/${ns.name}/agentdeployments`);
      expect(agents.items.map((agent) => (agent as { metadata: { name: string } }).metadata.name)).toEqual([
        "listed",
      ]);
      const review = await api.create<Review>(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
        "agentry",
      );
      return review.status.userInfo.username;
    };
    const failure = (call: Promise<unknown>) =>
      call.then(
        () => undefined,
        (error: unknown) => error,
      );

    beforeAll(async () => {
      caData = readAdminKubeconfig(cluster.kubeconfig).caData;
      // The issuer's certificate comes from a CA of its own, not the plane's.
      const issuerPki = await generatePki(mkdtempSync(path.join(tmpdir(), "oidc-issuer-pki-")));
      issuer = await startOidcIssuer({
        tls: { cert: issuerPki.apiserver.cert, key: issuerPki.apiserver.key, ca: issuerPki.ca.cert },
        clients: { [CLIENT_ID]: undefined, [CONFIDENTIAL_CLIENT_ID]: CLIENT_SECRET },
      });
      const authenticationConfig = testFile(
        "authentication-config.yaml",
        stringify({
          apiVersion: "apiserver.config.k8s.io/v1",
          kind: "AuthenticationConfiguration",
          jwt: [
            {
              issuer: {
                url: issuer.url,
                certificateAuthority: issuer.caPem,
                audiences: [CLIENT_ID, CONFIDENTIAL_CLIENT_ID],
                audienceMatchPolicy: "MatchAny",
              },
              claimMappings: { username: { claim: "sub", prefix: "oidc:" } },
            },
          ],
        }),
      );
      apiServer = await startExtraApiServer(cluster.kubeconfig, "kube-apiserver-oidc", [
        `--authentication-config=${authenticationConfig}`,
      ]);
      await cluster.kubectl(
        ["apply", "-n", ns.name, "-f", "-"],
        JSON.stringify({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: { name: "agent-reader" },
          rules: [{ apiGroups: ["agentry.dev"], resources: ["agentdeployments"], verbs: ["get", "list"] }],
        }),
      );
      await cluster.kubectl([
        "create",
        "rolebinding",
        "alice-agent-reader",
        "--role=agent-reader",
        "--user=oidc:alice",
        "-n",
        ns.name,
      ]);
      await cluster.kubectl(
        ["apply", "-n", ns.name, "-f", "-"],
        agentManifest("listed", { agent: { model: "gpt-4o-mini" } }),
      );
    }, 120_000);

    afterAll(async () => {
      for (const api of clients) api.close();
      await apiServer?.stop();
      await issuer?.close();
    });

    it("a valid ID token: the API server sees the user the issuer named", { timeout: 60_000 }, async () => {
      const api = client(oidcKubeconfig({ "id-token": await issuer.idToken("alice") }));
      // The API server fetches the issuer's discovery document in the background after it starts.
      await eventually(async () => (await whoAmI(api)) === "oidc:alice", 30_000);
      expect(issuer.tokenRequests).toEqual([]);
    });

    it("an expired ID token and a refresh token: renewed once at the issuer's token endpoint, then reused", async () => {
      const refreshToken = issuer.refreshToken("alice");
      const before = issuer.tokenRequests.length;
      const file = oidcKubeconfig({
        "id-token": await issuer.idToken("alice", { expiresInSeconds: -60 }),
        "refresh-token": refreshToken,
      });
      const api = client(file);
      expect(await whoAmI(api)).toBe("oidc:alice");
      expect(await whoAmI(api)).toBe("oidc:alice");
      expect(issuer.tokenRequests.slice(before)).toEqual([
        {
          grantType: "refresh_token",
          refreshToken,
          clientId: CLIENT_ID,
          clientSecret: undefined,
          status: 200,
        },
      ]);
      // Saved into the kubeconfig, as kubectl saves them: the next process starts from the new
      // tokens (the issuer no longer accepts the refresh token it rotated away).
      const saved = providerConfig(file);
      expect(saved["refresh-token"]).not.toBe(refreshToken);
      expect(await whoAmI(client(file))).toBe("oidc:alice");
      expect(issuer.tokenRequests.length).toBe(before + 1);
    });

    it("a kubeconfig that cannot be written: the renewed tokens are kept in memory and a warning says so", async () => {
      const file = oidcKubeconfig({
        "id-token": await issuer.idToken("alice", { expiresInSeconds: -60 }),
        "refresh-token": issuer.refreshToken("alice"),
      });
      const api = client(file);
      rmSync(file);
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on("warning", onWarning);
      try {
        expect(await whoAmI(api)).toBe("oidc:alice");
        expect(await whoAmI(api)).toBe("oidc:alice");
        await eventually(async () => warnings.length > 0, 5_000);
      } finally {
        process.off("warning", onWarning);
      }
      expect(warnings.map((warning) => warning.message)).toEqual([
        expect.stringMatching(
          /^renewed OIDC tokens of kubeconfig user "test-user" are kept in memory only: cannot save them to .*: ENOENT/,
        ),
      ]);
    });

    it("a merged $KUBECONFIG list (the operator's path), the user in the second file with only a refresh token", async () => {
      const first = writeKubeconfigFile({ cluster: apiServerCluster() });
      const second = writeKubeconfigFile({
        user: oidcUser({ "refresh-token": issuer.refreshToken("alice") }),
        context: false,
      });
      const firstText = readFileSync(first, "utf8");
      const saved = process.env.KUBECONFIG;
      process.env.KUBECONFIG = [first, second].join(path.delimiter);
      try {
        const api = KubeApi.fromDefault();
        clients.push(api);
        expect(await whoAmI(api)).toBe("oidc:alice");
      } finally {
        process.env.KUBECONFIG = saved;
      }
      expect(providerConfig(second)["id-token"]).toMatch(/^ey/);
      expect(readFileSync(first, "utf8")).toBe(firstText);
    });

    it("concurrent requests with an expired ID token share one refresh", async () => {
      const before = issuer.tokenRequests.length;
      const api = client(
        oidcKubeconfig({
          "id-token": await issuer.idToken("alice", { expiresInSeconds: -60 }),
          "refresh-token": issuer.refreshToken("alice"),
        }),
      );
      expect(await Promise.all([whoAmI(api), whoAmI(api), whoAmI(api)])).toEqual([
        "oidc:alice",
        "oidc:alice",
        "oidc:alice",
      ]);
      expect(issuer.tokenRequests.slice(before).map((request) => request.status)).toEqual([200]);
    });

    it("a confidential client: the client-secret authenticates the refresh", async () => {
      const refreshToken = issuer.refreshToken("alice", CONFIDENTIAL_CLIENT_ID);
      const before = issuer.tokenRequests.length;
      const api = client(
        oidcKubeconfig({
          "client-id": CONFIDENTIAL_CLIENT_ID,
          "client-secret": CLIENT_SECRET,
          "id-token": await issuer.idToken("alice", {
            clientId: CONFIDENTIAL_CLIENT_ID,
            expiresInSeconds: -60,
          }),
          "refresh-token": refreshToken,
        }),
      );
      expect(await whoAmI(api)).toBe("oidc:alice");
      expect(issuer.tokenRequests.slice(before)).toEqual([
        {
          grantType: "refresh_token",
          refreshToken,
          clientId: CONFIDENTIAL_CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          status: 200,
        },
      ]);
    });

    it("the issuer's CA given as idp-certificate-authority-data", async () => {
      const api = client(
        oidcKubeconfig({
          "idp-certificate-authority": "",
          "idp-certificate-authority-data": Buffer.from(issuer.caPem).toString("base64"),
          "id-token": await issuer.idToken("alice", { expiresInSeconds: -60 }),
          "refresh-token": issuer.refreshToken("alice"),
        }),
      );
      expect(await whoAmI(api)).toBe("oidc:alice");
    });

    it("an expired ID token without a refresh token: the call fails saying so, before reaching the server", async () => {
      const api = client(
        oidcKubeconfig({ "id-token": await issuer.idToken("alice", { expiresInSeconds: -60 }) }),
      );
      const error = await failure(whoAmI(api));
      expect(error).toBeInstanceOf(KubeApiError);
      expect((error as KubeApiError).status).toBe(0);
      expect((error as KubeApiError).code).toBe("KUBE_API_CREDENTIALS");
      expect((error as Error).cause).toBeInstanceOf(OidcAuthError);
      expect((error as Error).message).toMatch(
        /kubeconfig user "test-user": the OIDC id-token has expired and there is no refresh-token to renew it; log in at https:\/\/127\.0\.0\.1:\d+ again/,
      );
    });

    it("kubectl agentry with an expired ID token and no refresh token: says there are no credentials, and why", async () => {
      const file = oidcKubeconfig({ "id-token": await issuer.idToken("alice", { expiresInSeconds: -60 }) });
      const listed = await runPlugin(["list", "-n", ns.name], { KUBECONFIG: file });
      expect(listed.code).toBe(1);
      expect(listed.stderr).toMatch(
        /^error: no credentials for the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ \(context "test"\): kubeconfig user "test-user": the OIDC id-token has expired and there is no refresh-token to renew it/,
      );
    });

    it("a refresh token the issuer refuses: its OAuth error is in the message", async () => {
      const api = client(
        oidcKubeconfig({
          "id-token": await issuer.idToken("alice", { expiresInSeconds: -60 }),
          "refresh-token": "revoked-long-ago",
        }),
      );
      const error = await failure(whoAmI(api));
      expect(error).toBeInstanceOf(KubeApiError);
      expect((error as Error).message).toMatch(
        /renewing the OIDC id-token at https:\/\/127\.0\.0\.1:\d+ failed: invalid_grant: unknown refresh token \(HTTP 400\)/,
      );
    });

    it("an issuer whose certificate the kubeconfig does not trust: the refresh fails on TLS", async () => {
      const api = client(
        oidcKubeconfig({
          "idp-certificate-authority": "",
          "id-token": await issuer.idToken("alice", { expiresInSeconds: -60 }),
          "refresh-token": issuer.refreshToken("alice"),
        }),
      );
      const error = await failure(whoAmI(api));
      expect((error as Error).message).toMatch(
        /renewing the OIDC id-token at https:\/\/127\.0\.0\.1:\d+ failed: .*certificate/,
      );
    });

    it("an ID token signed by a key the issuer does not hold: 401 from the API server", async () => {
      const api = client(
        oidcKubeconfig({ "id-token": await issuer.idToken("alice", { signedBy: "stranger" }) }),
      );
      const error = await failure(whoAmI(api));
      expect(error).toBeInstanceOf(KubeApiError);
      expect((error as KubeApiError).status).toBe(401);
      expect((error as Error).message).toMatch(/401 Unauthorized/);
    });

    it("kubectl agentry with an ID token signed by a stranger: the context's credentials were refused", async () => {
      const file = oidcKubeconfig({ "id-token": await issuer.idToken("alice", { signedBy: "stranger" }) });
      const listed = await runPlugin(["list", "-n", ns.name], { KUBECONFIG: file });
      expect(listed.code).toBe(1);
      expect(listed.stderr).toMatch(/did not accept the credentials of this context \(401 Unauthorized\)/);
    });

    it("kubectl agentry list with the OIDC kubeconfig, renewing its expired ID token", async () => {
      const file = oidcKubeconfig({
        "id-token": await issuer.idToken("alice", { expiresInSeconds: -60 }),
        "refresh-token": issuer.refreshToken("alice"),
      });
      const before = issuer.tokenRequests.length;
      // The second run starts from the tokens the first one saved: no second refresh.
      for (const _run of [1, 2]) {
        const listed = await runPlugin(["list", "-n", ns.name], { KUBECONFIG: file });
        expect(listed.stderr).toBe("");
        expect(listed.code).toBe(0);
        expect(listed.stdout).toMatch(/NAMESPACE\s+NAME\s+STRATEGY\s+PHASE/);
        expect(listed.stdout).toMatch(new RegExp(`${ns.name}\\s+listed\\s+RollingUpdate`));
      }
      expect(issuer.tokenRequests.slice(before).map((request) => request.status)).toEqual([200]);
    });
  },
);
