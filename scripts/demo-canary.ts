/**
 * The canary part of `npm run demo`: examples/canary.yaml with its waits shortened, a model change
 * that advances step by step, an analysis of the runtime's own metrics in a real Prometheus, and
 * a promotion.
 *
 * Pods on the local plane are played by kwok and serve nothing, and a real cluster's pods are out of
 * reach of a Prometheus on this machine, so two real runtime processes on loopback stand in for the
 * stable and the canary revision's pods: each carries its revision's
 * label, answers real requests through the stub model, and is scraped by Prometheus the way
 * Kubernetes service discovery would find the pods (with their namespace label).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../test/support/cluster-env.ts";
import type { PrometheusServerHandle } from "../test/support/prometheus-server.ts";
import { type RuntimeProcess, startRuntimeProcess } from "../test/support/runtime-process.ts";
import { waitFor } from "../test/support/wait-for.ts";

export interface CanaryDemo {
  kubectl: (args: string[], input?: string) => string;
  /** `kubectl agentry ARGS`: the plugin, found on PATH by kubectl. */
  plugin: (args: string[]) => string;
  namespace: string;
  prometheus: PrometheusServerHandle;
  modelUrl: string;
  log: (line: string) => void;
  timeoutMs: number;
}

const AGENT = "support-bot";

/**
 * examples/canary.yaml with minutes turned into seconds, so the demo takes one minute, not ten,
 * and latency bounded absolutely rather than against stable (see below).
 */
export function demoCanaryManifests(prometheusUrl: string): string {
  const documents = parseAllDocuments(readFileSync(path.join(REPO_ROOT, "examples/canary.yaml"), "utf8"));
  const objects = (Array.isArray(documents) ? documents : []).map((document) => document.toJS());
  const agent = objects.find((object) => object.kind === "AgentDeployment");
  agent.spec.replicas = 4;
  agent.spec.strategy.canary.steps = agent.spec.strategy.canary.steps.map((step: Record<string, unknown>) => {
    if ((step.pause as { duration?: string } | undefined)?.duration) return { pause: { duration: "5s" } };
    if (step.analysis) {
      const analysis = step.analysis as Record<string, unknown>;
      // Prometheus finds new targets within 5 s and needs two scrapes before a rate exists.
      // Both revisions run on this machine against an instant stub: their p95 latencies are a
      // few milliseconds apart by chance, so a bound relative to stable would judge noise. The
      // demo bounds latency absolutely instead (500 ms); the error rate keeps its bound.
      const metrics = (analysis.metrics as Array<Record<string, unknown>>).map(
        ({ maxRatioToStable, ...metric }) =>
          maxRatioToStable === undefined ? metric : { ...metric, max: 0.5 },
      );
      return {
        analysis: {
          ...analysis,
          metrics,
          interval: "5s",
          initialDelay: "10s",
          count: 3,
          prometheus: { address: prometheusUrl },
        },
      };
    }
    return step;
  });
  return objects.map((object) => JSON.stringify(object)).join("\n---\n");
}

export async function runCanaryDemo(demo: CanaryDemo): Promise<void> {
  const { kubectl, namespace, log } = demo;
  const ns = ["-n", namespace];
  const jsonpath = (expression: string) =>
    kubectl(["get", "agd", AGENT, ...ns, "-o", `jsonpath=${expression}`]);
  const runtimes: RuntimeProcess[] = [];
  const traffic: NodeJS.Timeout[] = [];
  /** A runtime standing in for the pods of `revision`, under steady traffic, scraped by Prometheus. */
  const servePods = async (revision: string) => {
    const runtime = await startRuntimeProcess(
      {
        AGENTRY_MODEL: "gpt-4o-mini",
        AGENTRY_PROVIDER_BASE_URL: demo.modelUrl,
        AGENTRY_PROVIDER_API_KEY: "sk-demo",
        AGENTRY_SYSTEM_PROMPT: "You are a friendly support agent.",
        AGENTRY_REVISION: revision,
        AGENTRY_AGENT: AGENT,
      },
      { stdout: "discard" },
    );
    runtimes.push(runtime);
    const send = () =>
      void fetch(`${runtime.url}/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "How do I rotate my API key?" }),
      })
        .then((response) => response.arrayBuffer())
        .catch(() => undefined);
    traffic.push(setInterval(send, 100));
    demo.prometheus.setDiscovered([
      { targets: runtimes.map((process) => new URL(process.url).host), labels: { namespace } },
    ]);
    log(`   pods of revision ${revision}: runtime on ${runtime.url}, 10 requests/s, scraped by Prometheus`);
  };

  try {
    kubectl(["apply", ...ns, "-f", "-"], demoCanaryManifests(demo.prometheus.url));
    kubectl(["wait", `agd/${AGENT}`, ...ns, "--for=condition=Ready", `--timeout=${demo.timeoutMs / 1000}s`]);
    const stable = jsonpath("{.status.stableRevision}");
    await servePods(stable);
    log(`   ${AGENT} is Healthy on revision ${stable}; steps: ${jsonpath("{.status.canary.stepCount}")}`);

    log(`\n   $ kubectl patch agd ${AGENT} --type=merge -p '{"spec":{"agent":{"model":"gpt-4o"}}}'`);
    kubectl(["patch", "agd", AGENT, ...ns, "--type=merge", "-p", '{"spec":{"agent":{"model":"gpt-4o"}}}']);
    let update = "";
    await waitFor(
      "the new revision",
      () => {
        update = jsonpath("{.status.updateRevision}");
        return update !== "" && update !== stable;
      },
      demo.timeoutMs,
    );
    await servePods(update);

    // Progress, one line per change, until the rollout waits for its promote.
    await follow(demo, (phase, index) => phase === "Paused" && index === "4");
    for (const reason of ["AnalysisMeasured", "AnalysisSuccessful"]) {
      const messages = kubectl([
        "get",
        "events",
        ...ns,
        "--field-selector",
        `involvedObject.name=${AGENT},reason=${reason}`,
        "--sort-by=.metadata.creationTimestamp",
        "-o",
        'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
      ]).trim();
      if (messages)
        log(
          messages
            .split("\n")
            .map((line) => `   ${reason}: ${line}`)
            .join("\n"),
        );
    }
    log(`\n   $ kubectl agentry status ${AGENT} -n ${namespace}`);
    log(indent(demo.plugin(["status", AGENT, ...ns])));
    log(`\n   $ kubectl agentry promote ${AGENT} -n ${namespace}`);
    log(indent(demo.plugin(["promote", AGENT, ...ns])));
    await follow(demo, (phase) => phase === "Healthy");
    log(`   ${AGENT} is Healthy on revision ${jsonpath("{.status.stableRevision}")} (was ${stable})`);
  } finally {
    for (const timer of traffic) clearInterval(timer);
    await Promise.all(runtimes.map((runtime) => runtime.stop()));
  }
}

/** Text indented by three spaces, as the demo prints command output. */
export function indent(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `   ${line}`)
    .join("\n");
}

/** Prints phase, step, weight and message whenever they change, until `done` says so. */
async function follow(demo: CanaryDemo, done: (phase: string, index: string) => boolean): Promise<void> {
  let last = "";
  await waitFor(
    "the canary",
    () => {
      const [phase = "", index = "", weight = "", message = ""] = demo
        .kubectl([
          "get",
          "agd",
          AGENT,
          "-n",
          demo.namespace,
          "-o",
          "jsonpath={.status.phase}|{.status.canary.currentStepIndex}|{.status.canary.weight}|{.status.message}",
        ])
        .split("|");
      const line = `${phase.padEnd(11)} weight ${weight.padStart(3)}%  ${message}`;
      if (line !== last) demo.log(`   ${line}`);
      last = line;
      return done(phase, index);
    },
    demo.timeoutMs,
    undefined,
    250,
  );
}
