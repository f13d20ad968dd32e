// vitest globalSetup of the `integration` project: brings the control plane up once per run (or
// reuses a running one), hands its kubeconfig to the test files, and stops it at the end of the
// run when this run started it and no other run is still using it.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import type { ClusterInfo } from "./cluster.ts";
import { findBinaries } from "./cluster-components.ts";
import { loadClusterEnv } from "./cluster-env.ts";
import { withLock } from "./cluster-lock.ts";
import { downPlaneLocked, testRunsUsing, upPlaneLocked } from "./cluster-plane.ts";
import { readState, statePaths } from "./cluster-state.ts";
import { installOperatorChart, OPERATOR_RELEASE } from "./operator-identity.ts";
import { recordSkippedSuite } from "./require-real-part.ts";

const log = (line: string) => console.log(`[cluster] ${line}`);

function loud(lines: string[]): void {
  const bar = "#".repeat(100);
  console.warn(`\n${bar}\n${lines.map((line) => `###  ${line}`).join("\n")}\n${bar}\n`);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const env = loadClusterEnv();
  const { missing } = findBinaries(env);
  if (missing.length > 0) {
    const message = `control plane binaries are missing: ${missing.map((m) => path.basename(m)).join(", ")}`;
    if (env.requireRealParts) {
      throw new Error(
        `${message}\nAGENTRY_REQUIRE_REAL_PARTS is set, so this is a failure: run \`npm run cluster:build\`.`,
      );
    }
    loud([
      "INTEGRATION TESTS SKIPPED: the real control plane has not been built.",
      message,
      "Build it once with `npm run cluster:build` (cached under ~/.cache/agentry; about 16 minutes on",
      "2 cores the first time). CI sets AGENTRY_REQUIRE_REAL_PARTS=1 and never skips.",
    ]);
    recordSkippedSuite({
      suite: "every *.integration.test.ts",
      reason: `${message} (build them once with \`npm run cluster:build\`)`,
    });
    project.provide("agentryCluster", { available: false, reason: message } satisfies ClusterInfo);
    return undefined;
  }

  const users = statePaths(env.stateDir).users;
  const me = path.join(users, String(process.pid));
  const result = await withLock(env.stateDir, async () => {
    const up = await upPlaneLocked(env, { startedBy: "test", log });
    mkdirSync(users, { recursive: true });
    writeFileSync(me, new Date().toISOString());
    // Once per plane and run: the chart's RBAC is the identity every operator in the tests runs under.
    const operator = await installOperatorChart(
      { kubectl: up.state.binaries.kubectl, helm: up.state.binaries.helm, kubeconfig: up.state.kubeconfig },
      OPERATOR_RELEASE,
    );
    return { ...up, operator };
  });
  log(`${result.reused ? "reusing" : "started"} the control plane in ${result.seconds.toFixed(1)}s`);
  log(`to look at it while tests run: export KUBECONFIG=${result.state.kubeconfig}`);
  log(
    `operators run as ServiceAccount ${result.operator.namespace}/${result.operator.serviceAccount} (charts/agentry)`,
  );

  project.provide("agentryCluster", {
    available: true,
    kubeconfig: result.state.kubeconfig,
    server: result.state.server,
    binaries: result.state.binaries,
    projectCrds: result.projectCrds,
    keepNamespaces: env.keepNamespaces,
    operator: result.operator,
  } satisfies ClusterInfo);

  return async () => {
    await withLock(env.stateDir, async () => {
      rmSync(me, { force: true });
      const others = testRunsUsing(env);
      const state = readState(env.stateDir);
      if (state?.startedBy !== "test" || others.length > 0) return;
      if (env.keepAfterTests) {
        log(`AGENTRY_CLUSTER_KEEP is set: leaving the control plane running (npm run cluster:down stops it)`);
        return;
      }
      await downPlaneLocked(env, () => {});
      log("stopped the control plane this run started");
    });
  };
}
