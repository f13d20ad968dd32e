import pino from "pino";
import type { AgentDeployment } from "../../operator/api/agent-deployment.ts";
import { ANNOTATIONS } from "../../operator/api/constants.ts";
import { NEW_AGENT_STATUS } from "../../operator/api/crd.ts";
import { parseAgentDeployment } from "../../operator/api/parse-agent-deployment.ts";
import { takeMeasurements } from "../../operator/controller/take-measurements.ts";
import type { KubeApi } from "../../operator/kube/kube-api.ts";
import type { Deployment, KubeObject, Secret } from "../../operator/kube/objects.ts";
import { dueAnalyses } from "../../operator/reconcile/due-analyses.ts";
import { planReconcile } from "../../operator/reconcile/plan-reconcile.ts";
import { childKey, type ObservedState, type ReconcilePlan } from "../../operator/reconcile/reconcile-plan.ts";

/**
 * AgentDeployments in every state a user meets, as the operator writes them: the pure planner
 * (planReconcile) reconciles against a pretend cluster until nothing changes, and analysis rounds
 * are taken by the controller's takeMeasurements against a loopback port nothing listens on (an
 * unreachable Prometheus). test/operator/status-verdicts.test.ts saves them under
 * test/fixtures/status/ and checks every verdict (phase, conditions, kstatus, Argo CD) on each.
 */

const config = {
  defaultImage: "ghcr.io/agentry/agent-runtime:0.1.0",
  clusterDomain: "cluster.local",
};
const UNREACHABLE_PROMETHEUS = "http://127.0.0.1:1";
const b64 = (text: string) => Buffer.from(text).toString("base64");

const STEPS = [
  { setWeight: 25 },
  { pause: {} },
  { analysis: { interval: "1m", metrics: [{ name: "errors", builtin: "errorRate", max: 0.05 }] } },
  { setWeight: 50 },
  { pause: { duration: "5m" } },
];
const BASE_SPEC = {
  replicas: 4,
  agent: { model: "gpt-4o-mini", provider: { apiKeySecretRef: { name: "openai", key: "api-key" } } },
};
const CANARY = { type: "Canary", canary: { steps: STEPS } };
const BLUE_GREEN = { type: "BlueGreen", blueGreen: { autoPromotionEnabled: false } };

type Spec = Record<string, unknown>;

/** A namespace with one agent, its Deployments' pods started (or held back) as told. */
class PretendCluster {
  agent: AgentDeployment;
  private deployments = new Map<string, Deployment>();
  private children = new Map<string, KubeObject>();
  private secrets = new Map<string, Secret>([
    ["openai", secret("openai", { "api-key": "sk-1" })],
    ["openai-v2", secret("openai-v2", { apikey: "sk-2" })],
  ]);
  /** Deployments created from now on get at most this many available pods. */
  holdNewPods: number | undefined;
  /** Deployments created from now on report ProgressDeadlineExceeded. */
  stickNew = false;
  private held = new Map<string, { cap: number | undefined; stuck: boolean }>();
  now = new Date("2026-12-01T09:00:00Z");

  constructor(spec: Spec) {
    // As the API server shows a new agent: the CRD's default status until the operator writes one.
    this.agent = { ...parse(spec, 1), status: { ...NEW_AGENT_STATUS } };
  }

  /** A new spec, as `kubectl apply` makes it: the next generation, the status kept. */
  edit(spec: Spec, annotations?: Record<string, string>): void {
    const generation = (this.agent.metadata.generation ?? 1) + 1;
    this.agent = { ...parse(spec, generation, annotations), status: this.agent.status };
  }

  annotate(key: string): void {
    const annotations = { ...this.agent.metadata.annotations, [key]: "true" };
    this.agent = { ...this.agent, metadata: { ...this.agent.metadata, annotations } };
  }

  async reconcile(): Promise<ReconcilePlan> {
    this.now = new Date(this.now.getTime() + 1000);
    const due = dueAnalyses(this.agent, this.now);
    const measurements =
      due.length === 0 ? undefined : await takeMeasurements(this.agent, due, measureDeps, this.now);
    const observed: ObservedState = {
      agent: this.agent,
      deployments: [...this.deployments.values()],
      children: this.children,
      data: { secrets: this.secrets, configMaps: new Map() },
      calledAgents: new Map(),
      ...(measurements ? { measurements } : {}),
    };
    const plan = planReconcile(observed, config, this.now, () => "generated-key-0123456789abcdef");
    this.apply(plan);
    return plan;
  }

  /** Reconciles until a plan writes nothing and the status stays as it is. */
  async settle(limit = 30): Promise<void> {
    for (let round = 0; round < limit; round++) {
      const before = JSON.stringify(this.agent.status);
      const plan = await this.reconcile();
      const writes = plan.apply.length + plan.createIfMissing.length + plan.scale.length + plan.delete.length;
      if (writes === 0 && JSON.stringify(this.agent.status) === before) return;
    }
    throw new Error(`no steady state after ${limit} reconciles: ${this.agent.status?.message}`);
  }

  /** Lets time pass, e.g. to the next analysis round. */
  wait(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }

  /** The AgentDeployment as the API server returns it. */
  object(): Record<string, unknown> {
    return JSON.parse(
      JSON.stringify({
        apiVersion: "agentry.dev/v1alpha1",
        kind: "AgentDeployment",
        metadata: this.agent.metadata,
        spec: this.agent.spec,
        ...(this.agent.status ? { status: this.agent.status } : {}),
      }),
    ) as Record<string, unknown>;
  }

  private apply(plan: ReconcilePlan): void {
    for (const object of [...plan.apply, ...plan.createIfMissing]) {
      if (object.kind === "Deployment") {
        const name = object.metadata.name;
        if (!this.held.has(name)) this.held.set(name, { cap: this.holdNewPods, stuck: this.stickNew });
        const existing = this.deployments.get(name);
        const created =
          existing?.metadata.creationTimestamp ?? this.now.toISOString().replace(/\.\d+Z$/, "Z");
        this.setDeployment({
          ...(object as Deployment),
          metadata: { ...object.metadata, creationTimestamp: created },
        });
      } else this.children.set(childKey(object.kind, object.metadata.name), object as KubeObject);
    }
    for (const { name, replicas } of plan.scale) {
      const existing = this.deployments.get(name);
      if (existing) this.setDeployment({ ...existing, spec: { ...existing.spec, replicas } });
    }
    for (const ref of plan.delete) {
      if (ref.kind === "Deployment") this.deployments.delete(ref.name);
      else this.children.delete(childKey(ref.kind, ref.name));
    }
    const annotations = Object.fromEntries(
      Object.entries(this.agent.metadata.annotations ?? {}).filter(
        ([key]) => !plan.consumedActions.includes(key),
      ),
    );
    const { annotations: _consumed, ...rest } = this.agent.metadata;
    const metadata = Object.keys(annotations).length === 0 ? rest : { ...rest, annotations };
    this.agent = { ...this.agent, metadata, status: plan.status };
  }

  /** What the Deployment controller reports: pods available up to the hold, a stuck rollout's condition. */
  private setDeployment(deployment: Deployment): void {
    const replicas = (deployment.spec as { replicas?: number } | undefined)?.replicas ?? 0;
    const { cap, stuck } = this.held.get(deployment.metadata.name) ?? { cap: undefined, stuck: false };
    const available = Math.min(replicas, cap ?? replicas);
    const conditions = stuck
      ? [
          {
            type: "Progressing",
            status: "False",
            reason: "ProgressDeadlineExceeded",
            message: `ReplicaSet "${deployment.metadata.name}-7c9d5b8f4" has timed out progressing.`,
          },
        ]
      : [];
    this.deployments.set(deployment.metadata.name, {
      ...deployment,
      status: { replicas, readyReplicas: available, availableReplicas: available, conditions },
    } as Deployment);
  }
}

const measureDeps = {
  api: {} as KubeApi,
  prometheus: { address: UNREACHABLE_PROMETHEUS, bearerTokenFile: undefined, caFile: undefined },
  log: pino({ level: "silent" }),
};

function parse(spec: Spec, generation: number, annotations?: Record<string, string>): AgentDeployment {
  const result = parseAgentDeployment({
    apiVersion: "agentry.dev/v1alpha1",
    kind: "AgentDeployment",
    metadata: {
      name: "support-bot",
      namespace: "agents",
      uid: "fff561f5-1c0f-4a5b-9e89-2e150a2fc72f",
      generation,
      creationTimestamp: "2026-12-01T09:00:00Z",
      ...(annotations ? { annotations } : {}),
    },
    spec,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function secret(name: string, data: Record<string, string>): Secret {
  const encoded = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, b64(value)]));
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "agents" }, data: encoded };
}

const withModel = (spec: Spec, model: string): Spec => ({
  ...spec,
  agent: { ...(spec.agent as Spec), model },
});

/** A healthy agent of this strategy, then a new model: the rollout's first steady point. */
async function rollingOut(strategy: Spec | undefined, before?: (cluster: PretendCluster) => void) {
  const spec = strategy ? { ...BASE_SPEC, strategy } : BASE_SPEC;
  const cluster = new PretendCluster(spec);
  await cluster.settle();
  before?.(cluster);
  cluster.edit(withModel(spec, "gpt-4o"));
  await cluster.settle();
  return { cluster, spec: withModel(spec, "gpt-4o") };
}

/** Every state, by fixture name. */
export async function recordStatusStates(): Promise<Record<string, Record<string, unknown>>> {
  const states: Record<string, Record<string, unknown>> = {};

  states["just-applied"] = new PretendCluster({ ...BASE_SPEC, strategy: CANARY }).object();

  const healthy = new PretendCluster({ ...BASE_SPEC, strategy: CANARY });
  await healthy.settle();
  states.healthy = healthy.object();
  healthy.edit(withModel({ ...BASE_SPEC, strategy: CANARY }, "gpt-4o"));
  states["generation-not-observed"] = healthy.object();

  const rolling = await rollingOut(undefined, (cluster) => {
    cluster.holdNewPods = 1;
  });
  states["rolling-update"] = rolling.cluster.object();
  rolling.cluster.edit({ ...rolling.spec, paused: true });
  await rolling.cluster.settle();
  states["paused-by-spec"] = rolling.cluster.object();

  const step = await rollingOut(CANARY, (cluster) => {
    cluster.holdNewPods = 0;
  });
  states["canary-step"] = step.cluster.object();

  const canary = await rollingOut(CANARY);
  states["canary-paused"] = canary.cluster.object();
  canary.cluster.annotate(ANNOTATIONS.promote);
  await canary.cluster.settle();
  // The first analysis round, due at once: Prometheus cannot be reached.
  states["analysis-prometheus-unreachable"] = canary.cluster.object();
  for (let round = 2; round <= 5; round++) {
    canary.cluster.wait(60_000);
    await canary.cluster.settle();
  }
  states["analysis-inconclusive"] = canary.cluster.object();
  canary.cluster.annotate(ANNOTATIONS.abort);
  await canary.cluster.settle();
  states.aborted = canary.cluster.object();

  const blueGreen = await rollingOut(BLUE_GREEN);
  states["blue-green-preview"] = blueGreen.cluster.object();

  const keyless = new PretendCluster(BASE_SPEC);
  await keyless.settle();
  // An update whose Secret exists but lacks the key it names.
  keyless.edit({
    ...BASE_SPEC,
    agent: { ...BASE_SPEC.agent, provider: { apiKeySecretRef: { name: "openai-v2", key: "api-key" } } },
  });
  await keyless.settle();
  states["stalled-secret-key-missing"] = keyless.object();

  const deadline = await rollingOut(undefined, (cluster) => {
    cluster.holdNewPods = 0;
    cluster.stickNew = true;
  });
  states["progress-deadline-exceeded"] = deadline.cluster.object();

  const nothing = new PretendCluster({
    ...BASE_SPEC,
    agent: { ...BASE_SPEC.agent, provider: { apiKeySecretRef: { name: "missing", key: "api-key" } } },
  });
  await nothing.settle();
  states["stalled-nothing-serving"] = nothing.object();

  return states;
}
