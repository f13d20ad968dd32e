import { expect, it } from "vitest";
import { freePort, startBareApiServer } from "../../support/bare-api-server.ts";
import { describeWithCluster, useTestNamespace } from "../../support/cluster.ts";
import { readAdminKubeconfig, writeKubeconfigFile } from "../../support/kubeconfig-file.ts";
import { agentCluster } from "../agent-cluster.ts";
import { runPlugin, runThroughKubectl } from "./plugin-runner.ts";

describeWithCluster("kubectl agentry: errors a user can act on", (cluster) => {
  const ns = useTestNamespace(cluster);
  const agents = agentCluster(cluster, ns);
  const admin = { KUBECONFIG: cluster.kubeconfig };

  it("says which agent is missing in which namespace, through kubectl too", async () => {
    const direct = await runPlugin(["status", "nope", "-n", ns.name], admin);
    expect(direct).toMatchObject({ code: 1, stdout: "" });
    expect(direct.stderr).toBe(`error: agentdeployment nope not found in namespace ${ns.name}\n`);
    const watched = await runPlugin(["status", "nope", "-w", "-n", ns.name], admin);
    expect(watched).toMatchObject({ code: 1, stdout: "", stderr: direct.stderr });
    const viaKubectl = await runThroughKubectl(
      cluster.binaries.kubectl,
      ["promote", "nope", "-n", ns.name],
      admin,
    );
    expect(viaKubectl.code).toBe(1);
    expect(viaKubectl.stderr).toContain(`agentdeployment nope not found in namespace ${ns.name}`);
  });

  it("names the server it cannot reach when the kubeconfig points at a closed port", async () => {
    const { caData } = readAdminKubeconfig(cluster.kubeconfig);
    const port = await freePort();
    const kubeconfig = writeKubeconfigFile({
      cluster: { server: `https://127.0.0.1:${port}`, "certificate-authority-data": caData },
      user: { token: "unused" },
    });
    const result = await runPlugin(["list"], { KUBECONFIG: kubeconfig });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^error: cannot reach the Kubernetes API server at https://127.0.0.1:${port} \\(context "test"\\): .*ECONNREFUSED`,
      ),
    );
    // status -w has shown nothing yet: no retries, the same error at once.
    const watched = await runPlugin(["status", "bot", "-w"], { KUBECONFIG: kubeconfig });
    expect(watched.code).toBe(1);
    expect(watched.stderr).toMatch(/^error: cannot reach the Kubernetes API server at .*ECONNREFUSED/);
    const flag = await runPlugin(["status", "bot", "--kubeconfig", kubeconfig, "--context", "other"], {});
    expect(flag.stderr).toBe('error: context "other" is not in the kubeconfig (contexts: test)\n');
  });

  it("reports RBAC denials with the API server's words: a ServiceAccount that may read but not patch", async () => {
    await agents.applyAgent("bot", {
      replicas: 1,
      agent: { model: "m", provider: { baseURL: "http://llm.invalid/v1" } },
    });
    await cluster.kubectl(["create", "serviceaccount", "viewer", "-n", ns.name]);
    const token = (await cluster.kubectl(["create", "token", "viewer", "-n", ns.name])).trim();
    const { server, caData } = readAdminKubeconfig(cluster.kubeconfig);
    const kubeconfig = writeKubeconfigFile({
      cluster: { server, "certificate-authority-data": caData },
      user: { token },
    });
    const viewer = { KUBECONFIG: kubeconfig };

    const denied = await runPlugin(["status", "bot", "-n", ns.name], viewer);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      `error: permission denied (RBAC): agentdeployments.agentry.dev "bot" is forbidden: User "system:serviceaccount:${ns.name}:viewer" cannot get resource "agentdeployments" in API group "agentry.dev" in the namespace "${ns.name}"`,
    );

    await cluster.kubectl(
      ["apply", "-n", ns.name, "-f", "-"],
      JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "agent-viewer" },
        rules: [
          { apiGroups: ["agentry.dev"], resources: ["agentdeployments"], verbs: ["get", "list"] },
          { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list"] },
        ],
      }),
    );
    await cluster.kubectl([
      "create",
      "rolebinding",
      "agent-viewer",
      "-n",
      ns.name,
      "--role=agent-viewer",
      `--serviceaccount=${ns.name}:viewer`,
    ]);
    const shown = await runPlugin(["status", "bot", "-n", ns.name], viewer);
    expect(shown.stderr).toBe("");
    expect(shown.stdout).toContain(`Name:        bot (namespace ${ns.name})`);
    const restart = await runPlugin(["restart", "bot", "-n", ns.name], viewer);
    expect(restart.code).toBe(1);
    expect(restart.stderr).toContain(
      `cannot patch resource "agentdeployments" in API group "agentry.dev" in the namespace "${ns.name}"`,
    );
    const list = await runPlugin(["list"], viewer);
    expect(list.stderr).toContain(
      'cannot list resource "agentdeployments" in API group "agentry.dev" at the cluster scope',
    );
  });

  it("says the CRD is missing on an API server that does not serve agentry.dev", {
    timeout: 120_000,
  }, async () => {
    const bare = await startBareApiServer(cluster.binaries["kube-apiserver"], cluster.kubeconfig);
    try {
      const { caData, certData, keyData } = readAdminKubeconfig(cluster.kubeconfig);
      const kubeconfig = writeKubeconfigFile({
        cluster: { server: bare.server, "certificate-authority-data": caData },
        user: { "client-certificate-data": certData, "client-key-data": keyData },
      });
      const missing = `error: the AgentDeployment API (agentry.dev/v1alpha1) is not served by ${bare.server}: CRD agentdeployments.agentry.dev is not installed; install it with \`kubectl apply -f crds/\` or the agentry Helm chart\n`;
      const status = await runPlugin(["status", "bot", "--kubeconfig", kubeconfig], {});
      expect(status).toMatchObject({ code: 1, stderr: missing });
      const watched = await runPlugin(["status", "bot", "-w", "--kubeconfig", kubeconfig], {});
      expect(watched).toMatchObject({ code: 1, stderr: missing });
      const list = await runPlugin(["list", "--kubeconfig", kubeconfig], {});
      expect(list).toMatchObject({ code: 1, stderr: missing });
    } finally {
      await bare.stop();
    }
  });

  it("rejects bad usage with exit 2 and the usage text", async () => {
    const unknown = await runPlugin(["frobnicate"], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: unknown command "frobnicate"');
    expect(unknown.stderr).toContain("Usage: kubectl agentry COMMAND");
    const wrongFlag = await runPlugin(["abort", "bot", "--full"], {});
    expect(wrongFlag).toMatchObject({ code: 2 });
    expect(wrongFlag.stderr).toContain("abort does not take --full");
  });
});
