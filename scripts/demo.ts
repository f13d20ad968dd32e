/**
 * `npm run demo`: the main job end to end on this machine.
 *
 *  1. builds (first time only) and starts a local Kubernetes control plane: etcd, kube-apiserver,
 *     controller-manager, scheduler and kwok fake nodes, with the AgentDeployment CRD;
 *  2. runs the operator, applies examples/basic.yaml and waits for Ready;
 *  3. changes the model and follows the rollout to a new revision in the status;
 *  4. runs examples/canary.yaml (its waits shortened): a model change advances step by step, an
 *     analysis of the runtime's metrics in a real Prometheus passes, a promote finishes it;
 *  5. shows what bad input looks like: a manifest the API server rejects, a Secret that is missing;
 *  6. runs the agent runtime locally against an OpenAI-compatible stub and asks it something.
 *
 * The plane keeps running afterwards for a look around (`npm run cluster:down` stops it).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { startRuntimeProcess } from "../agent-runtime/testing/runtime-process.ts";
import { startStubModelServer } from "../agent-runtime/testing/stub-model-server.ts";
import { waitFor } from "../agent-runtime/testing/wait-for.ts";
import { loadClusterEnv, REPO_ROOT } from "../test/support/cluster-env.ts";
import { kubectlFlags } from "../test/support/cluster-install.ts";
import { upPlane } from "../test/support/cluster-plane.ts";
import { startOperator } from "../test/support/operator-process.ts";
import { startPrometheusServer } from "../test/support/prometheus-server.ts";
import { indent, runCanaryDemo } from "./demo-canary.ts";

const NAMESPACE = "agentry-demo";
const node = process.execPath;
const DEMO_TIMEOUT_MS = 120_000;

function step(title: string) {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
}

async function main() {
  step("1. Local control plane (built from Go modules on first use, then cached)");
  execFileSync(node, [path.join(REPO_ROOT, "test/cluster/build.ts")], { stdio: "inherit" });
  const env = loadClusterEnv();
  const { state } = await upPlane(env, { startedBy: "cli", log: (line) => console.log(`   ${line}`) });
  const kubectlBinary = state.binaries.kubectl;
  const kubectl = (args: string[], input?: string) =>
    execFileSync(kubectlBinary, [...kubectlFlags(state.kubeconfig), ...args], {
      encoding: "utf8",
      input,
      stdio: ["pipe", "pipe", "pipe"],
    });
  const show = (args: string[]) => console.log(indent(`$ kubectl ${args.join(" ")}\n${kubectl(args)}`));
  // kubectl finds the `kubectl-agentry` plugin on PATH, as it would once the plugin is installed.
  const pluginDir = mkdtempSync(path.join(tmpdir(), "agentry-demo-plugin-"));
  symlinkSync(
    path.join(REPO_ROOT, "operator/cli/kubectl-agentry.ts"),
    path.join(pluginDir, "kubectl-agentry"),
  );
  const plugin = (args: string[]) =>
    execFileSync(kubectlBinary, ["agentry", ...args], {
      encoding: "utf8",
      env: {
        ...process.env,
        KUBECONFIG: state.kubeconfig,
        PATH: [pluginDir, path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });

  kubectl(["delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", "--timeout=120s"]);
  kubectl(["create", "namespace", NAMESPACE]);
  kubectl(["create", "secret", "generic", "openai", "-n", NAMESPACE, "--from-literal=api-key=sk-demo-1"]);

  step("2. The operator, and examples/basic.yaml");
  const operator = await startOperator({
    kubeconfig: state.kubeconfig,
    namespace: NAMESPACE,
    identity: "demo",
    env: { AGENTRY_LOG_LEVEL: "info", AGENTRY_LEADER_ELECTION: "false" },
  });
  try {
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
  } finally {
    await operator.stop();
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

  console.log(`\nDone. The control plane is still running:
   export KUBECONFIG=${state.kubeconfig}
   ${kubectlBinary} get agd -n ${NAMESPACE}
   npm run cluster:down     # stop it`);
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

await main();
