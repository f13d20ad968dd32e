// What docs/install.md tells a user to run, run as written with Helm 4 and Helm 3, on a plane of
// this file's own that starts without the AgentDeployment CRD: install, upgrade and uninstall on
// a cluster that never had the CRD, on one where it was applied by hand first, and on one that
// has another chart version's CRD.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeWithCluster } from "../../support/cluster.ts";
import { loadClusterEnv, REPO_ROOT } from "../../support/cluster-env.ts";
import { downPlane, upPlane } from "../../support/cluster-plane.ts";

/** The commands of docs/install.md this file runs; each must appear there as written. */
export const DOCUMENTED = {
  install: "helm install agentry charts/agentry --namespace agentry-system --create-namespace",
  applyCrdByHand: "kubectl apply --server-side -f charts/agentry/crds/",
  upgrade:
    "helm upgrade agentry charts/agentry --namespace agentry-system --reuse-values --set operator.workers=8",
  upgradeCrd: "kubectl apply --server-side --force-conflicts -f charts/agentry/crds/",
  uninstall: "helm uninstall agentry --namespace agentry-system --wait",
} as const;

const CRD = "customresourcedefinition.apiextensions.k8s.io/agentdeployments.agentry.dev";
const noCrdPlane = { ...loadClusterEnv(), stateDir: `${loadClusterEnv().stateDir}-nocrd` };

interface Shell {
  run(command: string): Promise<{ code: number | null; output: string }>;
  /** Runs a command that must succeed; resolves to its output. */
  ok(command: string): Promise<string>;
}

describeWithCluster(
  "charts/agentry's CRD: install, upgrade, uninstall as docs/install.md says",
  (cluster) => {
    const scratch = mkdtempSync(path.join(tmpdir(), "agentry-crd-handling-"));
    let kubeconfig = "";

    beforeAll(async () => {
      await downPlane(noCrdPlane, () => {});
      ({
        state: { kubeconfig },
      } = await upPlane(noCrdPlane, { startedBy: "test", log: () => {}, projectCrds: false }));
    }, 180_000);

    afterAll(async () => {
      await downPlane(noCrdPlane, () => {});
      rmSync(scratch, { recursive: true, force: true });
    }, 120_000);

    /** A shell whose `helm` is the given build and whose `kubectl` and KUBECONFIG are the plane's. */
    const shellWith = (helmBinary: string): Shell => {
      const bin = mkdtempSync(path.join(scratch, "bin-"));
      symlinkSync(helmBinary, path.join(bin, "helm"));
      symlinkSync(cluster.binaries.kubectl, path.join(bin, "kubectl"));
      const run = (command: string) =>
        new Promise<{ code: number | null; output: string }>((resolve, reject) => {
          const child = spawn("bash", ["-c", `set -euo pipefail\n${command}`], {
            cwd: REPO_ROOT,
            env: {
              PATH: [bin, "/usr/local/bin", "/usr/bin", "/bin"].join(path.delimiter),
              HOME: scratch,
              KUBECONFIG: kubeconfig,
            },
            stdio: ["ignore", "pipe", "pipe"],
          });
          let output = "";
          child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
            output += chunk;
          });
          child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
            output += chunk;
          });
          child.on("error", reject);
          child.on("close", (code) => resolve({ code, output }));
        });
      return {
        run,
        ok: async (command) => {
          const result = await run(command);
          if (result.code !== 0) throw new Error(`${command} exited with ${result.code}:\n${result.output}`);
          return result.output;
        },
      };
    };

    it("docs/install.md has every command this file runs, as written", () => {
      const doc = readFileSync(path.join(REPO_ROOT, "docs", "install.md"), "utf8");
      for (const command of Object.values(DOCUMENTED)) expect(doc).toContain(command);
    });

    /** Upgrade, the CRD upgrade and uninstall, as a user does them after either install. */
    const upgradeAndUninstall = async (sh: Shell) => {
      await sh.ok(
        `kubectl apply -n default --server-side -f - <<'EOF'\napiVersion: agentry.dev/v1alpha1\nkind: AgentDeployment\nmetadata: {name: kept}\nspec: {agent: {model: m}}\nEOF`,
      );
      await sh.ok(DOCUMENTED.upgrade);
      expect(
        await sh.ok(
          `kubectl -n agentry-system get deployment agentry -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="AGENTRY_WORKERS")].value}'`,
        ),
      ).toBe("8");
      await sh.ok(DOCUMENTED.upgradeCrd);
      await sh.ok(DOCUMENTED.uninstall);
      expect(
        await sh.ok(
          "kubectl -n agentry-system get deployment,serviceaccount -l app.kubernetes.io/instance=agentry -o name",
        ),
      ).toBe("");
      // The CRD stays, and so do the users' agents.
      expect((await sh.ok(`kubectl get ${CRD} -o name`)).trim()).toBe(CRD);
      expect((await sh.ok("kubectl -n default get agd kept -o name")).trim()).toBe(
        "agentdeployment.agentry.dev/kept",
      );
    };

    const deleteCrd = (sh: Shell) => sh.ok(`kubectl delete ${CRD} --wait`);

    for (const [name, binary] of [
      ["Helm 4", () => cluster.binaries.helm],
      ["Helm 3", () => cluster.binaries.helm3],
    ] as const) {
      describe(name, () => {
        it("on a cluster without the CRD: `helm install` installs it, then upgrade and uninstall keep it", async () => {
          const sh = shellWith(binary());
          expect((await sh.run(`kubectl get ${CRD}`)).code).not.toBe(0);
          await sh.ok(DOCUMENTED.install);
          expect(
            await sh.ok(
              `kubectl get ${CRD} -o jsonpath='{.status.conditions[?(@.type=="Established")].status}'`,
            ),
          ).toBe("True");
          await upgradeAndUninstall(sh);
          await deleteCrd(sh);
        }, 240_000);

        it("on a cluster where the CRD was applied by hand: the same `helm install`, upgrade, uninstall", async () => {
          const sh = shellWith(binary());
          await sh.ok(DOCUMENTED.applyCrdByHand);
          await sh.ok(DOCUMENTED.install);
          await upgradeAndUninstall(sh);
          await deleteCrd(sh);
        }, 240_000);

        it("on a cluster with another chart version's CRD: the chart's CRD first, then `helm install`", async () => {
          const sh = shellWith(binary());
          await sh.ok(
            "sed 's/description: Model name sent/description: (older) Model name sent/' charts/agentry/crds/agentry.dev_agentdeployments.yaml | kubectl apply --server-side -f -",
          );
          await sh.ok(DOCUMENTED.upgradeCrd);
          await sh.ok(DOCUMENTED.install);
          expect(await sh.ok(`kubectl get ${CRD} -o yaml`)).not.toContain("(older)");
          await upgradeAndUninstall(sh);
          await deleteCrd(sh);
        }, 240_000);
      });
    }
  },
);
