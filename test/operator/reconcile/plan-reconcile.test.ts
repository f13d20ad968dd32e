import { describe, expect, it } from "vitest";
import type { AgentDeployment } from "../../../operator/api/agent-deployment.ts";
import { parseAgentDeployment } from "../../../operator/api/parse-agent-deployment.ts";
import type { Deployment, KubeObject, Secret } from "../../../operator/kube/objects.ts";
import { planReconcile } from "../../../operator/reconcile/plan-reconcile.ts";
import {
  childKey,
  type ObservedState,
  type ReconcilePlan,
} from "../../../operator/reconcile/reconcile-plan.ts";

const config = {
  defaultImage: "ghcr.io/agentry/agent-runtime:0.1.0",
  clusterDomain: "cluster.local",
};
const now = new Date("2026-11-26T10:00:00.123Z");
const b64 = (text: string) => Buffer.from(text).toString("base64");

function agent(spec: Record<string, unknown>, status?: AgentDeployment["status"]): AgentDeployment {
  const result = parseAgentDeployment({
    apiVersion: "agentry.dev/v1alpha1",
    kind: "AgentDeployment",
    metadata: { name: "bot", namespace: "agents", uid: "uid-1", generation: 1 },
    spec,
    ...(status ? { status } : {}),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function secret(name: string, data: Record<string, string>): Secret {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "agents" }, data };
}

const baseSpec = {
  agent: { model: "gpt-4o-mini", provider: { apiKeySecretRef: { name: "openai", key: "api-key" } } },
};

function observedOf(target: AgentDeployment, overrides: Partial<ObservedState> = {}): ObservedState {
  return {
    agent: target,
    deployments: [],
    children: new Map(),
    data: {
      secrets: new Map([["openai", secret("openai", { "api-key": b64("sk-1") })]]),
      configMaps: new Map(),
    },
    calledAgents: new Map(),
    ...overrides,
  };
}

let clock = 0;
/**
 * Plays the plan against a pretend cluster: applied objects are stored as written, Deployments
 * get all their pods available at once, scaled ones follow, deleted ones vanish, status persists.
 */
function applyPlan(observed: ObservedState, plan: ReconcilePlan): ObservedState {
  const deployments = new Map(
    observed.deployments.map((deployment) => [deployment.metadata.name, deployment]),
  );
  const children = new Map(observed.children);
  const secrets = new Map(observed.data.secrets);
  for (const object of [...plan.apply, ...plan.createIfMissing]) {
    if (object.kind === "Deployment") {
      const replicas = (object.spec as { replicas: number }).replicas;
      const existing = deployments.get(object.metadata.name);
      deployments.set(object.metadata.name, {
        ...(object as Deployment),
        metadata: {
          ...object.metadata,
          creationTimestamp:
            existing?.metadata.creationTimestamp ?? `2026-11-26T09:00:${String(clock++).padStart(2, "0")}Z`,
        },
        status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
      });
    } else if (object.kind === "Secret") {
      const data = Object.fromEntries(
        Object.entries((object as Secret).stringData ?? {}).map(([key, value]) => [key, b64(value)]),
      );
      secrets.set(object.metadata.name, { ...(object as Secret), data });
      children.set(childKey("Secret", object.metadata.name), object);
    } else {
      children.set(childKey(object.kind, object.metadata.name), object as KubeObject);
    }
  }
  for (const { name, replicas } of plan.scale) {
    const existing = deployments.get(name);
    if (existing) {
      deployments.set(name, {
        ...existing,
        spec: { ...existing.spec, replicas },
        status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
      });
    }
  }
  for (const ref of plan.delete) {
    if (ref.kind === "Deployment") deployments.delete(ref.name);
    else children.delete(childKey(ref.kind, ref.name));
  }
  const annotations = Object.fromEntries(
    Object.entries(observed.agent.metadata.annotations ?? {}).filter(
      ([key]) => !plan.consumedActions.includes(key),
    ),
  );
  return {
    ...observed,
    agent: { ...observed.agent, metadata: { ...observed.agent.metadata, annotations }, status: plan.status },
    deployments: [...deployments.values()],
    children,
    data: { ...observed.data, secrets },
  };
}

const generateKey = () => "generated-key-0123456789abcdef";

/** Reconciles until a plan writes nothing; returns every plan on the way. */
function converge(start: ObservedState, limit = 20) {
  let observed = start;
  const plans: ReconcilePlan[] = [];
  for (let round = 0; round < limit; round++) {
    const plan = planReconcile(observed, config, now, generateKey);
    plans.push(plan);
    const writes = plan.apply.length + plan.createIfMissing.length + plan.scale.length + plan.delete.length;
    const statusChanged = JSON.stringify(plan.status) !== JSON.stringify(observed.agent.status);
    observed = applyPlan(observed, plan);
    if (writes === 0 && !statusChanged) return { observed, plans };
  }
  throw new Error("did not converge");
}

describe("planReconcile", () => {
  it("creates the revision's Deployment and the Service for a new agent", () => {
    const plan = planReconcile(observedOf(agent(baseSpec)), config, now, generateKey);
    expect(plan.apply.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      expect.stringMatching(/^Deployment\/bot-[0-9a-z]{10}$/),
      "Service/bot",
    ]);
    expect(plan.status).toMatchObject({ phase: "Progressing", selector: "agentry.dev/agent=bot" });
    expect(plan.events).toEqual([expect.objectContaining({ type: "Normal", reason: "RolloutStarted" })]);
    expect(plan.requeueAfterMs).toBeGreaterThan(0);
  });

  it("passes secrets as secretKeyRef only, never as values", () => {
    const plan = planReconcile(observedOf(agent(baseSpec)), config, now, generateKey);
    const deployment = JSON.stringify(plan.apply[0]);
    expect(deployment).toContain('"secretKeyRef":{"name":"openai","key":"api-key"}');
    expect(deployment).not.toContain(b64("sk-1"));
    expect(deployment).not.toContain("sk-1");
  });

  it("converges to Healthy/Ready and then writes nothing at all", () => {
    const { observed, plans } = converge(observedOf(agent(baseSpec)));
    expect(observed.agent.status).toMatchObject({
      phase: "Healthy",
      replicas: 1,
      availableReplicas: 1,
      stableRevision: observed.agent.status?.updateRevision,
      url: "http://bot.agents.svc.cluster.local",
    });
    expect(observed.agent.status?.conditions?.map(({ type, status }) => `${type}=${status}`)).toEqual([
      "Ready=True",
      "Reconciling=False",
      "Stalled=False",
      "Progressing=True",
      "Available=True",
      "Paused=False",
    ]);
    const last = plans.at(-1);
    expect(last?.apply).toEqual([]);
    expect(last?.events).toEqual([]);
    expect(plans.flatMap((plan) => plan.events.map((event) => event.reason))).toEqual([
      "RolloutStarted",
      "RolloutComplete",
    ]);
    // Status timestamps are in whole seconds, as the API server stores them.
    expect(observed.agent.status?.conditions?.[0]?.lastTransitionTime).toBe("2026-11-26T10:00:00Z");
  });

  it("rolls an image change out as a new revision and deletes the old Deployment when done", () => {
    const first = converge(observedOf(agent({ ...baseSpec, replicas: 1 }))).observed;
    const oldRevision = first.agent.status?.updateRevision;
    const changed = agent({ ...baseSpec, image: "ghcr.io/agentry/agent-runtime:0.2.0" }, first.agent.status);
    const { observed, plans } = converge({ ...first, agent: changed });
    const newRevision = observed.agent.status?.updateRevision;
    expect(newRevision).not.toBe(oldRevision);
    expect(observed.deployments.map((deployment) => deployment.metadata.name)).toEqual([
      `bot-${newRevision}`,
    ]);
    expect(plans[0]?.status.phase).toBe("Progressing");
    expect(plans[0]?.status.message).toContain(`rolling update to revision ${newRevision}`);
    expect(observed.agent.status?.history?.map((entry) => `${entry.revision}:${entry.outcome}`)).toEqual([
      `${newRevision}:Promoted`,
      `${oldRevision}:Promoted`,
    ]);
    expect(observed.agent.status?.history?.[0]?.image).toBe("ghcr.io/agentry/agent-runtime:0.2.0");
  });

  it("never lets availability drop below the desired count during a rollout (maxUnavailable 0)", () => {
    const spec = {
      ...baseSpec,
      replicas: 4,
      agent: { ...baseSpec.agent, memory: { redis: { urlSecretRef: { name: "openai", key: "api-key" } } } },
    };
    const first = converge(observedOf(agent(spec))).observed;
    const changed = agent({ ...spec, agent: { ...spec.agent, model: "gpt-4o" } }, first.agent.status);
    let observed: ObservedState = { ...first, agent: changed };
    for (let round = 0; round < 30; round++) {
      const plan = planReconcile(observed, config, now, generateKey);
      observed = applyPlan(observed, plan);
      const available = observed.deployments.reduce((sum, d) => sum + (d.status?.availableReplicas ?? 0), 0);
      const total = observed.deployments.reduce((sum, d) => sum + (d.spec?.replicas ?? 0), 0);
      expect(available).toBeGreaterThanOrEqual(4);
      expect(total).toBeLessThanOrEqual(5);
      if (plan.status.phase === "Healthy") return;
    }
    throw new Error("rollout did not finish");
  });

  it("says in status.sessions whether conversations are kept: Disabled without memory.redis, Redis with it", () => {
    const stateless = converge(observedOf(agent({ ...baseSpec, replicas: 3 }))).observed.agent.status;
    expect(stateless?.sessions).toBe("Disabled");
    expect(stateless?.phase).toBe("Healthy");
    const redis = { redis: { urlSecretRef: { name: "openai", key: "api-key" } } };
    const spec = { ...baseSpec, agent: { ...baseSpec.agent, memory: redis } };
    expect(converge(observedOf(agent(spec))).observed.agent.status?.sessions).toBe("Redis");
  });

  it("gives the same revision whatever the key order of the spec", () => {
    const a = planReconcile(observedOf(agent(baseSpec)), config, now, generateKey);
    const reordered = agent({
      agent: { provider: { apiKeySecretRef: { key: "api-key", name: "openai" } }, model: "gpt-4o-mini" },
    });
    const b = planReconcile(observedOf(reordered), config, now, generateKey);
    expect(b.status.updateRevision).toBe(a.status.updateRevision);
  });

  it("rolls out a rotated API key as a new revision", () => {
    const first = planReconcile(observedOf(agent(baseSpec)), config, now, generateKey);
    const rotated = observedOf(agent(baseSpec), {
      data: {
        secrets: new Map([["openai", secret("openai", { "api-key": b64("sk-2") })]]),
        configMaps: new Map(),
      },
    });
    expect(planReconcile(rotated, config, now, generateKey).status.updateRevision).not.toBe(
      first.status.updateRevision,
    );
  });

  it.each([
    {
      name: "a missing Secret",
      observed: () => observedOf(agent(baseSpec), { data: { secrets: new Map(), configMaps: new Map() } }),
      reason: "MissingReference",
      message: "Secret openai (spec.agent.provider.apiKeySecretRef) does not exist",
    },
    {
      name: "a missing key",
      observed: () =>
        observedOf(agent(baseSpec), {
          data: { secrets: new Map([["openai", secret("openai", { other: "x" })]]), configMaps: new Map() },
        }),
      reason: "MissingReference",
      message: 'Secret openai has no key "api-key" (spec.agent.provider.apiKeySecretRef)',
    },
    {
      name: "no image and no default",
      observed: () => observedOf(agent(baseSpec)),
      config: { ...config, defaultImage: undefined },
      reason: "NoImage",
      message: "spec.image is empty and the operator has no default runtime image",
    },
    {
      name: "a tool agentRef to a missing agent",
      observed: () =>
        observedOf(
          agent({ agent: { ...baseSpec.agent, tools: [{ name: "ask", agentRef: { name: "ghost" } }] } }),
        ),
      reason: "MissingAgentRef",
      message: "tool agentRef names no AgentDeployment in this namespace: ghost",
    },
  ])(
    "stalls on $name, says what to fix, and touches nothing that runs",
    ({ observed, reason, message, ...rest }) => {
      const healthy = converge(observedOf(agent(baseSpec))).observed;
      const broken = observed();
      const state = {
        ...broken,
        agent: { ...broken.agent, status: healthy.agent.status },
        deployments: healthy.deployments,
        children: healthy.children,
      };
      const plan = planReconcile(state, rest.config ?? config, now, generateKey);
      expect(plan.blocked).toEqual({ reason, message: expect.stringContaining(message) });
      expect(plan.apply).toEqual([]);
      expect(plan.scale).toEqual([]);
      expect(plan.delete).toEqual([]);
      // What runs still serves (the message and Available say so); the agent is Degraded, as
      // Stalled=True says to kstatus: the spec cannot be reached.
      const condition = (type: string) =>
        plan.status.conditions?.find((candidate) => candidate.type === type);
      expect(plan.status.phase).toBe("Degraded");
      expect(plan.status.message).toContain(`revision ${healthy.agent.status?.stableRevision} keeps serving`);
      expect(plan.status.message).toContain(message);
      expect(condition("Stalled")).toMatchObject({ status: "True", reason });
      expect(condition("Progressing")).toMatchObject({ status: "False", reason });
      expect(condition("Available")?.status).toBe("True");
      expect(condition("Ready")?.status).toBe("False");
      expect(plan.events).toEqual([{ type: "Warning", reason, message: expect.stringContaining(message) }]);
      // The same problem seen again is not announced again.
      const again = planReconcile(
        { ...state, agent: { ...state.agent, status: plan.status } },
        rest.config ?? config,
        now,
        generateKey,
      );
      expect(again.events).toEqual([]);
    },
  );

  it("generates Secret bot-auth once for apiKey auth and never rewrites it", () => {
    const spec = { ...baseSpec, auth: { mode: "apiKey" } };
    const first = planReconcile(observedOf(agent(spec)), config, now, generateKey);
    expect(first.createIfMissing).toEqual([
      expect.objectContaining({ kind: "Secret", metadata: expect.objectContaining({ name: "bot-auth" }) }),
    ]);
    expect(first.blocked).toBeUndefined();
    expect(first.apply).toEqual([]);
    const { plans, observed } = converge(observedOf(agent(spec)));
    expect(plans.slice(1).flatMap((plan) => plan.createIfMissing)).toEqual([]);
    expect(plans.flatMap((plan) => plan.apply).some((object) => object.kind === "Secret")).toBe(false);
    expect(JSON.stringify(observed.deployments[0])).toContain(
      '"secretKeyRef":{"name":"bot-auth","key":"api-keys"}',
    );
  });

  it("adds and removes the HorizontalPodAutoscaler and PodDisruptionBudget with the spec", () => {
    const redis = { redis: { urlSecretRef: { name: "openai", key: "api-key" } } };
    const scaled = {
      ...baseSpec,
      agent: { ...baseSpec.agent, memory: redis },
      autoscaling: { minReplicas: 2, maxReplicas: 5, targetInflightRequests: 8 },
    };
    const { observed } = converge(observedOf(agent(scaled)));
    const hpa = observed.children.get("HorizontalPodAutoscaler/bot") as KubeObject & {
      spec: Record<string, unknown>;
    };
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "agentry.dev/v1alpha1", kind: "AgentDeployment", name: "bot" },
      minReplicas: 2,
      maxReplicas: 5,
    });
    expect(observed.children.has("PodDisruptionBudget/bot")).toBe(true);
    const plain = agent({ ...baseSpec, agent: { ...baseSpec.agent, memory: redis } }, observed.agent.status);
    const plan = planReconcile({ ...observed, agent: plain }, config, now, generateKey);
    expect(plan.delete.map((ref) => `${ref.kind}/${ref.name}`)).toEqual([
      "HorizontalPodAutoscaler/bot",
      "PodDisruptionBudget/bot",
    ]);
  });

  it("is Degraded when a stall leaves nothing serving", () => {
    const plan = planReconcile(
      observedOf(agent(baseSpec), { data: { secrets: new Map(), configMaps: new Map() } }),
      config,
      now,
      generateKey,
    );
    expect(plan.status.phase).toBe("Degraded");
    expect(plan.status.message).toBe("Secret openai (spec.agent.provider.apiKeySecretRef) does not exist");
  });
});

describe("planReconcile with a Canary strategy", () => {
  const canary = (steps: unknown[]) => ({ type: "Canary", canary: { steps } });
  const changed = (spec: Record<string, unknown>, status: AgentDeployment["status"], annotations = {}) => {
    const next = agent(
      { ...baseSpec, replicas: 10, agent: { ...baseSpec.agent, model: "gpt-4o" }, ...spec },
      status,
    );
    return { ...next, metadata: { ...next.metadata, annotations } };
  };
  const serviceSelector = (observed: ObservedState, name = "bot") =>
    (
      observed.children.get(childKey("Service", name)) as
        | { spec: { selector: Record<string, string> } }
        | undefined
    )?.spec.selector;

  function running(steps: unknown[]) {
    const first = converge(
      observedOf(agent({ ...baseSpec, replicas: 10, strategy: canary(steps) })),
    ).observed;
    const stable = first.agent.status?.stableRevision;
    const rolled = converge({ ...first, agent: changed({ strategy: canary(steps) }, first.agent.status) });
    return { first, stable, ...rolled };
  }

  it("deploys the first revision whole and settles at weight 100", () => {
    const { observed } = converge(observedOf(agent({ ...baseSpec, strategy: canary([{ setWeight: 10 }]) })));
    expect(observed.agent.status).toMatchObject({
      phase: "Healthy",
      canary: { currentStepIndex: 1, stepCount: 1, weight: 100 },
    });
  });

  it("runs to a pause step and waits there as Paused, with both revisions split by weight", () => {
    const { observed, stable } = running([{ setWeight: 20 }, { pause: {} }]);
    const status = observed.agent.status;
    expect(status).toMatchObject({
      phase: "Paused",
      stableRevision: stable,
      canary: { currentStepIndex: 1, stepCount: 2, weight: 20 },
      replicas: 10,
      hpaReplicas: 10,
    });
    expect(status?.message).toContain("canary step 2/2 (pause): weight 20%, paused until promoted");
    expect(observed.deployments.map((deployment) => deployment.spec?.replicas).sort()).toEqual([2, 8]);
    expect(status?.conditions?.find((condition) => condition.type === "Paused")).toMatchObject({
      status: "True",
      reason: "RolloutPause",
    });
    expect(serviceSelector(observed)).toEqual({ "agentry.dev/agent": "bot" });
  });

  it("promotes on the annotation, removes it, and finishes with the new revision stable", () => {
    const { observed, stable } = running([{ setWeight: 20 }, { pause: {} }]);
    const promote = {
      ...observed,
      agent: {
        ...observed.agent,
        metadata: { ...observed.agent.metadata, annotations: { "agentry.dev/promote": "" } },
      },
    };
    const { observed: done, plans } = converge(promote);
    expect(plans[0]?.consumedActions).toEqual(["agentry.dev/promote"]);
    expect(done.agent.status).toMatchObject({
      phase: "Healthy",
      canary: { weight: 100, currentStepIndex: 2 },
    });
    expect(done.agent.status?.stableRevision).not.toBe(stable);
    expect(done.deployments).toHaveLength(1);
    expect(done.agent.status?.history?.map((entry) => entry.outcome)).toEqual(["Promoted", "Promoted"]);
  });

  it("aborts on the annotation: Degraded, traffic on the stable revision only, history Aborted", () => {
    const { observed, stable } = running([{ setWeight: 20 }, { pause: {} }]);
    const abort = {
      ...observed,
      agent: {
        ...observed.agent,
        metadata: { ...observed.agent.metadata, annotations: { "agentry.dev/abort": "true" } },
      },
    };
    const { observed: aborted, plans } = converge(abort);
    expect(plans[0]?.events.map((event) => event.reason)).toEqual(["RolloutAborted"]);
    expect(aborted.agent.status).toMatchObject({
      phase: "Degraded",
      aborted: true,
      stableRevision: stable,
      canary: { weight: 0 },
    });
    expect(aborted.agent.status?.conditions?.find((condition) => condition.type === "Stalled")).toMatchObject(
      { status: "True", reason: "RolloutAborted" },
    );
    expect(aborted.agent.status?.history?.[0]).toMatchObject({
      outcome: "Aborted",
      message: "aborted by the agentry.dev/abort annotation",
    });
    expect(serviceSelector(aborted)).toEqual({ "agentry.dev/agent": "bot", "agentry.dev/revision": stable });
    expect(aborted.deployments.map((deployment) => deployment.spec?.replicas).sort()).toEqual([0, 10]);

    const retried = converge({
      ...aborted,
      agent: {
        ...aborted.agent,
        metadata: { ...aborted.agent.metadata, annotations: { "agentry.dev/retry": "" } },
      },
    });
    expect(retried.observed.agent.status).toMatchObject({
      phase: "Paused",
      canary: { currentStepIndex: 1, weight: 20 },
    });
    expect(retried.observed.agent.status?.aborted).toBeUndefined();
    expect(retried.observed.agent.status?.history?.[0]?.outcome).toBe("Progressing");
  });

  it("sends Events on the abort's transitions only: none while it stays aborted, Recovered on retry", () => {
    const { observed } = running([{ setWeight: 20 }, { pause: {} }]);
    const annotated = (target: ObservedState, action: string) => ({
      ...target,
      agent: {
        ...target.agent,
        metadata: { ...target.agent.metadata, annotations: { [`agentry.dev/${action}`]: "true" } },
      },
    });
    const aborting = converge(annotated(observed, "abort"));
    expect(aborting.plans.flatMap((plan) => plan.events.map((event) => event.reason))).toEqual([
      "RolloutAborted",
    ]);
    // Reconciled again and again while aborted (requeues, resyncs): nothing recovered.
    const again = [1, 2, 3].map(() => planReconcile(aborting.observed, config, now, generateKey));
    expect(again.flatMap((plan) => plan.events)).toEqual([]);
    const retried = converge(annotated(aborting.observed, "retry"));
    expect(
      retried.plans.flatMap((plan) => plan.events.filter((event) => event.reason === "Recovered")),
    ).toHaveLength(1);
  });

  it("replaces an in-flight canary with a newer revision; never three revisions live", () => {
    const { observed, stable } = running([{ setWeight: 20 }, { pause: {} }]);
    const newer = changed(
      {
        agent: { ...baseSpec.agent, model: "gpt-4.1" },
        strategy: canary([{ setWeight: 20 }, { pause: {} }]),
      },
      observed.agent.status,
    );
    const plan = planReconcile({ ...observed, agent: newer }, config, now, generateKey);
    const live =
      plan.apply.filter((object) => object.kind === "Deployment").length + observed.deployments.length;
    expect(live).toBe(3);
    // The stable side takes back the pods of the replaced canary until the new one has some.
    expect(plan.scale.map((entry) => entry.replicas).sort()).toEqual([0, 10]);
    const { observed: after } = converge({ ...observed, agent: newer });
    expect(after.deployments.filter((deployment) => (deployment.spec?.replicas ?? 0) > 0)).toHaveLength(2);
    expect(after.agent.status?.stableRevision).toBe(stable);
    expect(after.agent.status?.history?.map((entry) => entry.outcome)).toEqual([
      "Progressing",
      "Superseded",
      "Promoted",
    ]);
  });

  it("replaces pods of every live revision on agentry.dev/restart", () => {
    const { observed } = running([{ setWeight: 20 }, { pause: {} }]);
    const restart = {
      ...observed,
      agent: {
        ...observed.agent,
        metadata: { ...observed.agent.metadata, annotations: { "agentry.dev/restart": "" } },
      },
    };
    const plan = planReconcile(restart, config, new Date("2026-11-26T11:00:00Z"), generateKey);
    expect(plan.restart.map((entry) => entry.at)).toEqual(["2026-11-26T11:00:00Z", "2026-11-26T11:00:00Z"]);
    expect(plan.status.restartedAt).toBe("2026-11-26T11:00:00Z");
    expect(plan.consumedActions).toEqual(["agentry.dev/restart"]);
  });
});

describe("planReconcile with a BlueGreen strategy", () => {
  it("runs the new revision behind NAME-preview and switches Service NAME on promote", () => {
    const strategy = {
      type: "BlueGreen",
      blueGreen: { autoPromotionEnabled: false, previewReplicas: 1, scaleDownDelaySeconds: 0 },
    };
    const first = converge(observedOf(agent({ ...baseSpec, replicas: 3, strategy }))).observed;
    const stable = first.agent.status?.stableRevision ?? "";
    const selector = (observed: ObservedState, name: string) =>
      (
        observed.children.get(childKey("Service", name)) as unknown as {
          spec: { selector: Record<string, string> };
        }
      ).spec.selector["agentry.dev/revision"];
    expect(selector(first, "bot")).toBe(stable);
    expect(selector(first, "bot-preview")).toBe(stable);

    const next = agent(
      { ...baseSpec, replicas: 3, agent: { ...baseSpec.agent, model: "gpt-4o" }, strategy },
      first.agent.status,
    );
    const { observed: waiting } = converge({ ...first, agent: next });
    const update = waiting.agent.status?.updateRevision ?? "";
    expect(waiting.agent.status).toMatchObject({
      phase: "Paused",
      blueGreen: { activeRevision: stable, previewRevision: update },
    });
    expect(waiting.agent.status?.message).toContain("waiting for promotion");
    expect(selector(waiting, "bot")).toBe(stable);
    expect(selector(waiting, "bot-preview")).toBe(update);
    expect(waiting.deployments.map((deployment) => deployment.spec?.replicas).sort()).toEqual([1, 3]);

    const promote = {
      ...waiting,
      agent: {
        ...waiting.agent,
        metadata: { ...waiting.agent.metadata, annotations: { "agentry.dev/promote": "" } },
      },
    };
    const { observed: done } = converge(promote);
    expect(selector(done, "bot")).toBe(update);
    expect(done.agent.status).toMatchObject({ phase: "Healthy", stableRevision: update });
    expect(done.deployments).toHaveLength(1);
  });
});

describe("planReconcile drift", () => {
  it("puts back a Deployment's replica count that someone changed by hand", () => {
    const { observed } = converge(observedOf(agent(baseSpec)));
    const [deployment] = observed.deployments;
    if (!deployment) throw new Error("no deployment");
    const scaledByHand = { ...deployment, spec: { ...deployment.spec, replicas: 5 } };
    const plan = planReconcile({ ...observed, deployments: [scaledByHand] }, config, now, generateKey);
    expect(
      plan.apply.map((object) => [object.kind, (object.spec as { replicas?: number }).replicas]),
    ).toEqual([["Deployment", 1]]);
    expect(plan.drift.map((report) => report.fields.map((field) => field.path))).toEqual([["spec.replicas"]]);
  });

  const replicatedSpec = {
    replicas: 2,
    agent: { ...baseSpec.agent, memory: { redis: { urlSecretRef: { name: "openai", key: "api-key" } } } },
  };

  it("repairs a Service selector pointed elsewhere and reports the field", () => {
    const { observed } = converge(observedOf(agent(replicatedSpec)));
    const children = new Map(observed.children);
    const service = children.get("Service/bot") as KubeObject & { spec: Record<string, unknown> };
    children.set("Service/bot", {
      ...service,
      spec: { ...service.spec, selector: { app: "other" } },
    } as KubeObject);
    const plan = planReconcile({ ...observed, children }, config, now, generateKey);
    expect(plan.apply.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual(["Service/bot"]);
    expect(plan.drift).toEqual([
      expect.objectContaining({
        kind: "Service",
        name: "bot",
        missing: false,
        fields: [{ path: "spec.selector", missingEntry: false }],
      }),
    ]);
  });

  it("recreates a deleted PodDisruptionBudget and says it was deleted", () => {
    const { observed } = converge(observedOf(agent(replicatedSpec)));
    const children = new Map(observed.children);
    children.delete("PodDisruptionBudget/bot");
    const plan = planReconcile({ ...observed, children }, config, now, generateKey);
    expect(plan.apply.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      "PodDisruptionBudget/bot",
    ]);
    expect(plan.drift).toEqual([expect.objectContaining({ kind: "PodDisruptionBudget", missing: true })]);
  });

  it("reports no drift while creating objects or applying a changed spec", () => {
    const { plans, observed } = converge(observedOf(agent(replicatedSpec)));
    expect(plans.flatMap((plan) => plan.drift)).toEqual([]);
    const bigger = agent({ ...replicatedSpec, replicas: 3 }, observed.agent.status);
    const plan = planReconcile(
      { ...observed, agent: { ...bigger, metadata: { ...bigger.metadata, generation: 2 } } },
      config,
      now,
      generateKey,
    );
    expect(plan.apply.length).toBeGreaterThan(0);
    expect(plan.drift).toEqual([]);
  });

  it("reports no drift for a new agent whose first reconcile only created its auth Secret", () => {
    const spec = { ...replicatedSpec, auth: { mode: "apiKey" } };
    const { plans, observed } = converge(observedOf(agent(spec)));
    expect(plans[0]?.apply).toEqual([]);
    expect(observed.children.has("Service/bot")).toBe(true);
    expect(plans.flatMap((plan) => plan.drift)).toEqual([]);
  });

  it("reports no drift for a new agent that waited for its referenced Secret", () => {
    const waiting = observedOf(agent(replicatedSpec), {
      data: { secrets: new Map(), configMaps: new Map() },
    });
    const blocked = planReconcile(waiting, config, now, generateKey);
    expect(blocked.blocked?.reason).toBe("MissingReference");
    const arrived = applyPlan(waiting, blocked);
    const { plans, observed } = converge({
      ...arrived,
      data: observedOf(arrived.agent).data,
    });
    expect(observed.children.has("PodDisruptionBudget/bot")).toBe(true);
    expect(plans.flatMap((plan) => plan.drift)).toEqual([]);
  });

  it("reports no drift for a PodDisruptionBudget a new generation adds while it waits for a Secret", () => {
    const { observed } = converge(observedOf(agent(baseSpec)));
    const scaled = agent(replicatedSpec, observed.agent.status);
    const waiting = {
      ...observed,
      agent: { ...scaled, metadata: { ...scaled.metadata, generation: 2 } },
      data: { secrets: new Map(), configMaps: new Map() },
    };
    const blocked = planReconcile(waiting, config, now, generateKey);
    expect(blocked.blocked?.reason).toBe("MissingReference");
    const { plans, observed: after } = converge({ ...applyPlan(waiting, blocked), data: observed.data });
    expect(after.children.has("PodDisruptionBudget/bot")).toBe(true);
    expect(plans.flatMap((plan) => plan.drift)).toEqual([]);
  });

  it("sees no drift in a cache filled by a list, whose items carry no apiVersion or kind", () => {
    const { observed } = converge(observedOf(agent(replicatedSpec)));
    const listed = <T extends KubeObject>({ apiVersion: _version, kind: _kind, ...rest }: T) => rest as T;
    const plan = planReconcile(
      {
        ...observed,
        deployments: observed.deployments.map(listed),
        children: new Map([...observed.children].map(([key, child]) => [key, listed(child)])),
      },
      config,
      now,
      generateKey,
    );
    expect(plan.apply).toEqual([]);
    expect(plan.drift).toEqual([]);
  });

  it("turning apiKey auth on for a running agent creates its Secret without reporting it as deleted", () => {
    const { observed } = converge(observedOf(agent(baseSpec)));
    const withAuth = agent({ ...baseSpec, auth: { mode: "apiKey" } });
    const plan = planReconcile(
      { ...observed, agent: { ...withAuth, status: observed.agent.status } },
      config,
      now,
      generateKey,
    );
    expect(plan.createIfMissing).toEqual([
      expect.objectContaining({ kind: "Secret", metadata: expect.objectContaining({ name: "bot-auth" }) }),
    ]);
    expect(plan.drift).toEqual([]);
  });

  it("gives a deleted auth Secret a new key, which rolls out a new revision", () => {
    const spec = { ...baseSpec, auth: { mode: "apiKey" } };
    const { observed } = converge(observedOf(agent(spec)));
    const secrets = new Map(observed.data.secrets);
    secrets.delete("bot-auth");
    const children = new Map(observed.children);
    children.delete("Secret/bot-auth");
    let keys = 0;
    const plan = planReconcile(
      { ...observed, children, data: { ...observed.data, secrets } },
      config,
      now,
      () => `new-key-${keys++}`,
    );
    expect(plan.createIfMissing.map((object) => (object as Secret).stringData)).toEqual([
      { "api-keys": "new-key-0" },
    ]);
    expect(plan.drift).toEqual([
      expect.objectContaining({ kind: "Secret", name: "bot-auth", missing: true }),
    ]);
    const after = converge(
      applyPlan({ ...observed, children, data: { ...observed.data, secrets } }, plan),
    ).observed;
    expect(after.agent.status?.updateRevision).not.toBe(observed.agent.status?.updateRevision);
  });
});

describe("the HorizontalPodAutoscaler during a canary", () => {
  /**
   * The HPA controller's decision for a Utilization target (replica_calculator.go): within the
   * 10% tolerance it keeps the scale status's replica count, outside it scales to
   * ceil(usageRatio * readyPods). `scaleStatusReplicas` is what statusReplicasPath reports.
   */
  function hpaDecision(load: number, target: number, readyPods: number, scaleStatusReplicas: number): number {
    const usageRatio = load / readyPods / target;
    if (Math.abs(usageRatio - 1) <= 0.1) return scaleStatusReplicas;
    return Math.ceil(usageRatio * readyPods);
  }

  it("never moves under constant load: the scale status reports at most spec.replicas", () => {
    const strategy = {
      type: "Canary",
      canary: { steps: [{ setWeight: 15 }, { setWeight: 45 }, { setWeight: 75 }] },
    };
    const autoscaling = { minReplicas: 2, maxReplicas: 50, targetCPUUtilizationPercentage: 60 };
    // Load that keeps 10 pods exactly at target.
    const load = 10 * 60;
    let observed = converge(observedOf(agent({ ...baseSpec, replicas: 10, autoscaling, strategy }))).observed;
    const next = agent(
      { ...baseSpec, replicas: 10, autoscaling, strategy, agent: { ...baseSpec.agent, model: "gpt-4o" } },
      observed.agent.status,
    );
    observed = { ...observed, agent: next };
    const decisions: number[] = [];
    const sums: number[] = [];
    for (let round = 0; round < 20; round++) {
      const plan = planReconcile(observed, config, now, generateKey);
      observed = applyPlan(observed, plan);
      const pods = observed.deployments.reduce(
        (total, deployment) => total + (deployment.spec?.replicas ?? 0),
        0,
      );
      decisions.push(hpaDecision(load, 60, pods, observed.agent.status?.hpaReplicas ?? 0));
      // What reporting the sum of pods (status.replicas) would have made the HPA decide.
      sums.push(hpaDecision(load, 60, pods, observed.agent.status?.replicas ?? 0));
    }
    expect(observed.agent.status?.phase).toBe("Healthy");
    expect(new Set(decisions)).toEqual(new Set([10]));
    // The same rollout, counted the Argo Rollouts way, asks for more pods at some step.
    expect(Math.max(...sums)).toBeGreaterThan(10);
  });
});

describe("action annotations without a rollout to act on", () => {
  it("removes them and says so in an Event", () => {
    const { observed } = converge(observedOf(agent(baseSpec)));
    const annotated = {
      ...observed,
      agent: {
        ...observed.agent,
        metadata: { ...observed.agent.metadata, annotations: { "agentry.dev/promote": "" } },
      },
    };
    const plan = planReconcile(annotated, config, now, generateKey);
    expect(plan.consumedActions).toEqual(["agentry.dev/promote"]);
    expect(plan.events).toEqual([
      {
        type: "Normal",
        reason: "ActionIgnored",
        message:
          "agentry.dev/promote ignored: no canary or blue-green rollout is in progress; the annotation was removed",
      },
    ]);
  });
});
