/**
 * `npm run demo` end to end: against the cluster `$KUBECONFIG` points at (this run's plane, a
 * reachable cluster like any other), against the local plane (AGENTRY_DEMO_LOCAL=1), and
 * interrupted with Ctrl-C. Each run says which cluster it uses, and leaves no demo namespace behind.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { expect, it } from "vitest";
import { startBareApiServer } from "../support/bare-api-server.ts";
import type { TestCluster } from "../support/cluster.ts";
import { describeWithCluster } from "../support/cluster.ts";
import { REPO_ROOT } from "../support/cluster-env.ts";
import { run, runChecked } from "../support/cluster-exec.ts";
import { kubectlFlags } from "../support/cluster-install.ts";
import { readAdminKubeconfig, writeKubeconfigFile } from "../support/kubeconfig-file.ts";
import { prometheusAvailable } from "../support/prometheus-server.ts";
import { demoEnv, startDemo } from "./demo-process.ts";

const NAMESPACE = /namespace (agentry-demo-[0-9a-f]{6})\n/;

async function demoNamespaces(cluster: TestCluster): Promise<string> {
  return (await cluster.kubectl(["get", "namespaces", "-l", "agentry.dev/demo=true", "-o", "name"])).trim();
}

const available = prometheusAvailable("npm run demo");

describeWithCluster(
  "npm run demo",
  (cluster) => {
    it("uses the cluster $KUBECONFIG points at, exits 0 and deletes its namespace", {
      timeout: 300_000,
    }, async () => {
      const config = new KubeConfig();
      config.loadFromFile(cluster.kubeconfig);
      const demo = startDemo(demoEnv({ KUBECONFIG: cluster.kubeconfig }));
      const code = await demo.exited;
      const output = demo.output();
      expect({ code, tail: code === 0 ? "" : output.slice(-3000) }).toEqual({ code: 0, tail: "" });
      expect(output).toContain(
        `Using the cluster from $KUBECONFIG: ${config.getCurrentContext()} (${cluster.server})`,
      );
      expect(output).not.toContain("Local control plane");
      expect(output).toContain("AnalysisSuccessful");
      expect(output).toMatch(/support-bot is Healthy on revision \w+ \(was \w+\)/);
      const namespace = output.match(NAMESPACE)?.[1];
      expect(output).toContain(`namespace ${namespace} is gone`);
      expect(await demoNamespaces(cluster)).toBe("");
    });

    it("with AGENTRY_DEMO_LOCAL=1 starts a local plane of its own, and deletes its namespace too", {
      timeout: 300_000,
    }, async () => {
      // A plane of its own: adopting this run's plane would keep it running after the run.
      const stateDir = mkdtempSync(path.join(tmpdir(), "agentry-demo-plane-"));
      const env = { ...demoEnv({ KUBECONFIG: "/nonexistent/kubeconfig", AGENTRY_DEMO_LOCAL: "1" }) };
      env.AGENTRY_CLUSTER_STATE_DIR = stateDir;
      try {
        const demo = startDemo(env);
        const code = await demo.exited;
        const output = demo.output();
        expect({ code, tail: code === 0 ? "" : output.slice(-3000) }).toEqual({ code: 0, tail: "" });
        expect(output).toContain("Local control plane");
        expect(output).not.toContain("Using the cluster from $KUBECONFIG");
        expect(output).toContain(`namespace ${output.match(NAMESPACE)?.[1]} is gone`);
        expect(output).toContain(`export KUBECONFIG=${path.join(stateDir, "kubeconfig")}`);
        const left = await runChecked(cluster.binaries.kubectl, [
          ...kubectlFlags(path.join(stateDir, "kubeconfig")),
          ...["get", "namespaces", "-l", "agentry.dev/demo=true", "-o", "name"],
        ]);
        expect(left.stdout.trim()).toBe("");
      } finally {
        await run(process.execPath, [path.join(REPO_ROOT, "test/cluster/down.ts")], { env });
        rmSync(stateDir, { recursive: true, force: true });
      }
    });

    it("refuses clearly when the user may not create namespaces", { timeout: 60_000 }, async () => {
      // The chart's ServiceAccount: it may read discovery (the CRD is served) but not create namespaces.
      const demo = startDemo(demoEnv({ KUBECONFIG: cluster.operator.kubeconfig }));
      expect(await demo.exited).toBe(1);
      expect(demo.output()).toContain("the AgentDeployment CRD is installed");
      expect(demo.output()).toMatch(
        /Cannot create the demo's namespace agentry-demo-[0-9a-f]{6} \(the demo works in a fresh namespace and deletes it\): Error from server \(Forbidden\)/,
      );
    });

    it("refuses clearly on a cluster without the CRD when the user may not create CRDs", {
      timeout: 60_000,
    }, async () => {
      const bare = await startBareApiServer(cluster.binaries["kube-apiserver"], cluster.kubeconfig);
      try {
        // The scheduler's identity: an authenticated user with the API server's own RBAC, no admin.
        const pki = path.join(path.dirname(cluster.kubeconfig), "pki");
        const base64 = (file: string) => readFileSync(path.join(pki, file)).toString("base64");
        const kubeconfig = writeKubeconfigFile({
          cluster: {
            server: bare.server,
            "certificate-authority-data": readAdminKubeconfig(cluster.kubeconfig).caData,
          },
          user: {
            "client-certificate-data": base64("client-scheduler.crt"),
            "client-key-data": base64("client-scheduler.key"),
          },
        });
        const demo = startDemo(demoEnv({ KUBECONFIG: kubeconfig }));
        expect(await demo.exited).toBe(1);
        expect(demo.output()).toContain(`Using the cluster from $KUBECONFIG: test (${bare.server})`);
        expect(demo.output()).toContain(
          "The cluster has no AgentDeployment CRD (agentdeployments.agentry.dev) and this user may not create CRDs: ask a cluster admin to run `kubectl apply -f crds/`",
        );
      } finally {
        await bare.stop();
      }
    });

    it("cleans up on Ctrl-C: the namespace goes, the exit code is 130", { timeout: 120_000 }, async () => {
      const demo = startDemo(demoEnv({ KUBECONFIG: cluster.kubeconfig }));
      const [, namespace] = await demo.waitForOutput(NAMESPACE);
      await demo.waitForOutput(/operator running/);
      demo.child.kill("SIGINT");
      expect(await demo.exited).toBe(130);
      expect(demo.output()).toContain("Interrupted: cleaning up");
      expect(demo.output()).toContain(`namespace ${namespace} is gone`);
      expect(
        await cluster.kubectl(["get", "namespace", namespace ?? "", "--ignore-not-found", "-o", "name"]),
      ).toBe("");
    });
  },
  available,
);
