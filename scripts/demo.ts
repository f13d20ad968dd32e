/**
 * `npm run demo`: the main job end to end.
 *
 *  1. connects to the cluster: the one `$KUBECONFIG` points at when it is set (installing the
 *     AgentDeployment CRD if it is missing), else a local Kubernetes control plane (etcd,
 *     kube-apiserver, controller-manager, scheduler and kwok fake nodes), built on first use;
 *     AGENTRY_DEMO_LOCAL=1 picks the local plane even with `$KUBECONFIG` set;
 *  2. runs the operator on this machine against it, limited to a fresh namespace
 *     `agentry-demo-<random>`, applies examples/basic.yaml and waits for Ready;
 *  3. changes the model and follows the rollout to a new revision in the status;
 *  4. runs examples/canary.yaml (its waits shortened): a model change advances step by step, an
 *     analysis of the runtime's metrics in a real Prometheus passes, a promote finishes it;
 *  5. shows what bad input looks like: a manifest the API server rejects, a Secret that is missing;
 *  6. runs the agent runtime locally against an OpenAI-compatible stub and asks it something.
 *
 * At the end, on a failure and on Ctrl-C the namespace is deleted (and waited for). The local
 * plane keeps running afterwards (`npm run cluster:down` stops it).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../test/support/cluster-env.ts";
import { kubectlFlags } from "../test/support/cluster-install.ts";
import { startOperator } from "../test/support/operator-process.ts";
import { startPrometheusServer } from "../test/support/prometheus-server.ts";
import { startRuntimeProcess } from "../test/support/runtime-process.ts";
import { startStubModelServer } from "../test/support/stub-model-server.ts";
import { waitFor } from "../test/support/wait-for.ts";
import { indent, runCanaryDemo } from "./demo-canary.ts";
import { connectDemoCluster, DemoError, wantsKubeconfigCluster } from "./demo-cluster.ts";

const NAMESPACE = `agentry-demo-${randomBytes(3).toString("hex")}`;
const DEMO_TIMEOUT_MS = 120_000;
/** The runtime image of pods on a real cluster (kwok's pods run nothing, any name will do). */
const DEFAULT_RUNTIME_IMAGE = "ghcr.io/agentry/agent-runtime:0.1.0";

function step(title: string) {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
}

/** What to undo, last first; runs once, whether the demo ends, fails or is interrupted. */
const cleanups: Array<() => unknown> = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const undo of cleanups.splice(0).reverse()) {
      try {
        await undo();
      } catch (error) {
        console.error(`cleanup: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** On a failure: what the namespace holds, before it goes. */
let showPods: (() => void) | undefined;

async function main(): Promise<string> {
  step(
    wantsKubeconfigCluster(process.env)
      ? "1. The cluster from $KUBECONFIG"
      : "1. Local control plane (built from Go modules on first use, then cached)",
  );
  const cluster = await connectDemoCluster(process.env, (line) => console.log(line));
  cleanups.push(() => cluster.close());
  const { kubectlBinary } = cluster;
  const kubectl = (args: string[], input?: string) =>
    execFileSync(kubectlBinary, [...kubectlFlags(cluster.kubeconfig), ...args], {
      encoding: "utf8",
      input,
      stdio: ["pipe", "pipe", "pipe"],
    });
  const show = (args: string[]) => console.log(indent(`$ kubectl ${args.join(" ")}\n${kubectl(args)}`));
  // kubectl finds the `kubectl-agentry` plugin on PATH, as it would once the plugin is installed.
  const pluginDir = mkdtempSync(path.join(tmpdir(), "agentry-demo-plugin-"));
  cleanups.push(() => rmSync(pluginDir, { recursive: true, force: true }));
  symlinkSync(
    path.join(REPO_ROOT, "operator/cli/kubectl-agentry.ts"),
    path.join(pluginDir, "kubectl-agentry"),
  );
  const plugin = (args: string[]) =>
    execFileSync(kubectlBinary, ["agentry", ...args], {
      encoding: "utf8",
      env: {
        ...process.env,
        KUBECONFIG: cluster.kubeconfig,
        PATH: [pluginDir, path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });

  try {
    kubectl(["create", "namespace", NAMESPACE]);
  } catch (error) {
    throw new DemoError(
      `Cannot create the demo's namespace ${NAMESPACE} (the demo works in a fresh namespace and deletes it): ${(error as { stderr?: string }).stderr?.trim()}`,
    );
  }
  showPods = () => show(["get", "agd,deployments,pods", "-n", NAMESPACE]);
  cleanups.push(() => {
    console.log(`\nDeleting namespace ${NAMESPACE} ...`);
    kubectl(["delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", "--timeout=180s"]);
    console.log(`   namespace ${NAMESPACE} is gone`);
  });
  console.log(`   namespace ${NAMESPACE}`);
  kubectl(["label", "namespace", NAMESPACE, "agentry.dev/demo=true"]);
  kubectl(["create", "secret", "generic", "openai", "-n", NAMESPACE, "--from-literal=api-key=sk-demo-1"]);
  const image = process.env.AGENTRY_RUNTIME_IMAGE ?? DEFAULT_RUNTIME_IMAGE;
  if (!cluster.local)
    console.log(`   pods run ${image}: your cluster must be able to pull it (set AGENTRY_RUNTIME_IMAGE to choose another)
   the operator runs on this machine with your credentials and watches only ${NAMESPACE}`);

  step("2. The operator, and examples/basic.yaml");
  const operator = await startOperator({
    kubeconfig: cluster.kubeconfig,
    namespace: NAMESPACE,
    identity: "demo",
    env: {
      AGENTRY_LOG_LEVEL: "info",
      AGENTRY_LEADER_ELECTION: "false",
      AGENTRY_RUNTIME_IMAGE: image,
      ...cluster.operatorEnv,
    },
  });
  cleanups.push(() => operator.stop());
  {
    console.log(
      `   operator running (pid ${operator.pid}), metrics on http://127.0.0.1:${operator.port}/metrics`,
    );
    kubectl(["apply", "-n", NAMESPACE, "-f", path.join(REPO_ROOT, "examples/basic.yaml")]);
    kubectl(["wait", "agd/support-bot", "-n", NAMESPACE, "--for=condition=Ready", "--timeout=120s"]);
    show(["get", "agd", "-n", NAMESPACE]);
    show(["get", "deployments,services", "-n", NAMESPACE, "-l", "agentry.dev/agent=support-bot"]);

    step("3. A new model rolls out as a new revision");
    const before = kubectl([
      "get",
      "agd",
      "support-bot",
      "-n",
      NAMESPACE,
      "-o",
      "jsonpath={.status.updateRevision}",
    ]);
    kubectl([
      "patch",
      "agd",
      "support-bot",
      "-n",
      NAMESPACE,
      "--type=merge",
      "-p",
      '{"spec":{"agent":{"model":"gpt-4o"}}}',
    ]);
    await follow(kubectl, "support-bot", before);
    show(["get", "agd", "support-bot", "-n", NAMESPACE, "-o", "wide"]);
    const history = JSON.parse(
      kubectl(["get", "agd", "support-bot", "-n", NAMESPACE, "-o", "jsonpath={.status.history}"]),
    ) as Array<Record<string, string>>;
    console.log(
      indent(history.map((entry) => `${entry.revision}  ${entry.model}  ${entry.outcome}`).join("\n")),
    );
    show([
      "get",
      "events",
      "-n",
      NAMESPACE,
      "--field-selector",
      "involvedObject.name=support-bot",
      "--sort-by=.metadata.creationTimestamp",
      "-o",
      "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message",
    ]);

    step("4. A canary: step by step, an analysis verdict from Prometheus, a promotion");
    kubectl(["delete", "agd", "support-bot", "-n", NAMESPACE, "--wait=true"]);
    kubectl([
      "create",
      "secret",
      "generic",
      "redis",
      "-n",
      NAMESPACE,
      "--from-literal=url=redis://redis:6379",
    ]);
    const prometheus = await startPrometheusServer({ jobs: [], discovered: true });
    const model = await startStubModelServer();
    try {
      console.log(`   Prometheus on ${prometheus.url}, a stub model on ${model.url}`);
      if (!cluster.local)
        console.log(`   the analysis reads this Prometheus, which scrapes two runtime processes on this machine
   standing in for the stable and the canary pods; the cluster's own pods are not scraped`);
      await runCanaryDemo({
        kubectl,
        plugin,
        namespace: NAMESPACE,
        prometheus,
        modelUrl: model.url,
        log: (line) => console.log(line),
        timeoutMs: DEMO_TIMEOUT_MS,
      });
      show(["get", "agd", "-n", NAMESPACE]);
    } finally {
      await prometheus.stop();
      await model.close();
    }

    step("5. Bad input: rejected at apply time, or explained in the status");
    const invalid = path.join(REPO_ROOT, "test/fixtures/invalid/two-actions-in-one-step.yaml");
    try {
      kubectl(["apply", "-n", NAMESPACE, "-f", invalid]);
    } catch (error) {
      console.log(
        indent(
          `$ kubectl apply -f ${path.relative(REPO_ROOT, invalid)}\n${(error as { stderr?: string }).stderr ?? ""}`,
        ),
      );
    }
    const [basic] = parseAllDocuments(readFileSync(path.join(REPO_ROOT, "examples/basic.yaml"), "utf8"));
    const broken = basic?.toJS();
    broken.metadata.name = "no-key-bot";
    broken.spec.agent.provider.apiKeySecretRef.name = "anthropic";
    kubectl(["apply", "-n", NAMESPACE, "-f", "-"], JSON.stringify(broken));
    await waitFor(
      "no-key-bot to report Degraded",
      () =>
        kubectl(["get", "agd", "no-key-bot", "-n", NAMESPACE, "-o", "jsonpath={.status.phase}"]) ===
        "Degraded",
      DEMO_TIMEOUT_MS,
    );
    show(["get", "agd", "no-key-bot", "-n", NAMESPACE, "-o", "wide"]);
  }

  step("6. The agent runtime, answering through a local OpenAI-compatible stub");
  const stub = await startStubModelServer();
  const runtime = await startRuntimeProcess({
    AGENTRY_MODEL: "gpt-4o-mini",
    AGENTRY_PROVIDER_BASE_URL: stub.url,
    AGENTRY_PROVIDER_API_KEY: "sk-demo",
    AGENTRY_SYSTEM_PROMPT: "You are a friendly support agent.",
    AGENTRY_REVISION: "demo",
  });
  try {
    const response = await fetch(`${runtime.url}/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "How do I rotate my API key?" }),
    });
    console.log(
      indent(`POST /v1/chat -> ${response.status}\n${JSON.stringify(await response.json(), null, 2)}`),
    );
    const metrics = await (await fetch(`${runtime.url}/metrics`)).text();
    console.log(
      indent(
        metrics
          .split("\n")
          .filter((line) => line.startsWith("agentry_requests_total"))
          .join("\n"),
      ),
    );
  } finally {
    await runtime.stop();
    await stub.close();
  }

  return cluster.local
    ? `\nDone. The local control plane is still running:
   export KUBECONFIG=${cluster.kubeconfig}
   ${kubectlBinary} get agd -A
   npm run cluster:down     # stop it`
    : "\nDone.";
}

/** Prints each new status message of the agent until it is Healthy on a new revision. */
async function follow(kubectl: (args: string[]) => string, name: string, start: string) {
  let last = "";
  await waitFor(
    `${name} to be Healthy on a new revision`,
    () => {
      const [phase, message, revision] = kubectl([
        "get",
        "agd",
        name,
        "-n",
        NAMESPACE,
        "-o",
        "jsonpath={.status.phase}|{.status.message}|{.status.updateRevision}",
      ]).split("|");
      const line = `${phase}: ${message}`;
      if (line !== last) console.log(`   ${line}`);
      last = line;
      return phase === "Healthy" && revision !== start;
    },
    DEMO_TIMEOUT_MS,
    undefined,
    200,
  );
}

let interrupted = false;
process.once("SIGINT", () => {
  interrupted = true;
  console.log("\nInterrupted: cleaning up");
  void cleanUp().finally(() => process.exit(130));
});
try {
  const farewell = await main();
  await cleanUp();
  console.log(farewell);
  process.exit(0);
} catch (error) {
  if (!interrupted) {
    console.error(
      `\n${error instanceof DemoError ? error.message : error instanceof Error ? error.stack : error}`,
    );
    try {
      showPods?.();
    } catch {
      // the namespace may be what failed
    }
  }
  await cleanUp();
  process.exit(interrupted ? 130 : 1);
}
