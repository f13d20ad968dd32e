/**
 * Every alert of the chart's PrometheusRule, driven to fire by `promtool test rules`: the rules
 * come from the chart as helm renders it, the input series from the operator's real metrics
 * registry and work queue (`operator-replica.ts`) scraped at the ServiceMonitor's interval, and
 * the expectations from each rule's own `for`, labels and annotations. A renamed alert or metric,
 * a changed `for` or an expression that misses its failure (or fires on a healthy operator) fails.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { describeWithCluster } from "../../support/cluster.ts";
import { run } from "../../support/cluster-exec.ts";
import { findPrometheusBinary, PROMETHEUS_HOW_TO_BUILD } from "../../support/prometheus-binaries.ts";
import { requireRealPart } from "../../support/require-real-part.ts";
import { parseRendered, type RenderedObject, renderChart } from "./chart-render.ts";
import { OperatorReplica } from "./operator-replica.ts";
import { ScrapeRecorder } from "./scrape-recorder.ts";

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** What the chart renders that the scenarios depend on. */
interface Chart {
  groups: Array<{ name: string; rules: AlertRule[] }>;
  rules: AlertRule[];
  job: string;
  scrapeIntervalSeconds: number;
  replicas: number;
  workers: number;
  resyncMs: number;
}

/** Operators as a scenario drives them; `until` advances the clock, scraping on the way. */
interface Operators {
  replicas: OperatorReplica[];
  /** A new replica (a new pod) of the chart's Deployment. */
  add(): OperatorReplica;
  until(minute: number): Promise<void>;
}

interface Scenario {
  name: string;
  /** The alert this failure must fire; none for a healthy operator. */
  fires?: string;
  /** Alerts the same failure fires too, later; the test does not expect them silent. */
  alsoFires?: string[];
  /** Minute from which the alert's expression holds, so it fires `for` later. */
  holdsFrom?: number;
  /** Minute by which a fired alert has resolved again, if it does within the test. */
  resolvedBy?: number;
  /** `{{ $value }}` in the annotations. */
  value?: string;
  run(operators: Operators, chart: Chart): Promise<void>;
}

const END_MINUTE = 60;
const AGENTS = ["agents/a", "agents/b", "agents/c"];

function startLeader(operators: Operators, agents = AGENTS): OperatorReplica {
  const [leader, ...standbys] = [operators.add(), operators.add()];
  for (const replica of [leader, ...standbys])
    for (const agent of agents) replica?.setAgent(agent, "Healthy");
  leader?.startLeading();
  return leader as OperatorReplica;
}

function setEverywhere(operators: Operators, agent: string, phase: string) {
  for (const replica of operators.replicas.filter((replica) => replica.up)) replica.setAgent(agent, phase);
}

/** A healthy start, `failure` at minute 5, then the rest of the hour. */
function failsAtMinute5(failure: (leader: OperatorReplica, operators: Operators) => void): Scenario["run"] {
  return async (operators) => {
    const leader = startLeader(operators);
    await operators.until(5);
    failure(leader, operators);
    await operators.until(END_MINUTE);
  };
}

const SCENARIOS: Scenario[] = [
  {
    name: "healthy: a canary promoted, a leader handover, two conflicts 20 minutes apart",
    async run(operators) {
      const leader = startLeader(operators);
      await operators.until(10);
      setEverywhere(operators, "agents/a", "Progressing");
      await operators.until(14);
      setEverywhere(operators, "agents/a", "Healthy");
      leader.metrics.rollouts.inc({ strategy: "Canary", outcome: "Promoted" });
      await operators.until(20);
      // A rolling upgrade of the operator: the leader exits, the standby takes the Lease.
      leader.stop();
      const next = operators.replicas.find((replica) => replica.up) as OperatorReplica;
      next.startLeading();
      const replacement = operators.add();
      for (const agent of AGENTS) replacement.setAgent(agent, "Healthy");
      await operators.until(30);
      next.setAgent("agents/b", "Healthy", "conflict");
      await operators.until(50);
      next.setAgent("agents/c", "Healthy", "conflict");
      await operators.until(END_MINUTE);
    },
  },
  {
    name: "an agent Degraded from minute 5",
    fires: "AgentryAgentDegraded",
    holdsFrom: 5.5,
    value: "1",
    run: failsAtMinute5((_, operators) => setEverywhere(operators, "agents/b", "Degraded")),
  },
  {
    // The first abort since the operator started: its counter series must exist before it.
    name: "a canary aborted at minute 5 (Degraded), fixed by a new revision at minute 10",
    fires: "AgentryRolloutAborted",
    holdsFrom: 5.5,
    resolvedBy: 5 + 15 + 1,
    async run(operators) {
      const leader = startLeader(operators);
      await operators.until(5);
      setEverywhere(operators, "agents/b", "Degraded");
      leader.metrics.rollouts.inc({ strategy: "Canary", outcome: "Aborted" });
      await operators.until(10);
      setEverywhere(operators, "agents/b", "Healthy");
      leader.metrics.rollouts.inc({ strategy: "Canary", outcome: "Promoted" });
      await operators.until(END_MINUTE);
    },
  },
  {
    // One agent whose reconcile keeps failing (say a 403): retried with the queue's backoff,
    // up to 1000 s apart, and again on every resync.
    name: "one agent failing every reconcile from minute 5",
    fires: "AgentryReconcileErrors",
    holdsFrom: 5.5,
    run: failsAtMinute5((leader) => leader.setAgent("agents/b", "Healthy", "error")),
  },
  {
    name: "the leader exits at minute 5 and the standby never gets the Lease",
    fires: "AgentryNoLeader",
    holdsFrom: 5.5,
    run: failsAtMinute5((leader) => leader.stop()),
  },
  {
    // Reconciles hang from minute 12 (an API server that accepts and never answers); the
    // resync at minute 20 queues more agents than there are workers.
    name: "workers hang: keys wait and no reconcile finishes",
    fires: "AgentryWorkQueueStalled",
    alsoFires: ["AgentryReconcileHung"],
    holdsFrom: 20,
    async run(operators, chart) {
      const agents = Array.from({ length: chart.workers + 2 }, (_, index) => `agents/a${index}`);
      const leader = startLeader(operators, agents);
      await operators.until(12);
      for (const agent of agents) leader.setAgent(agent, "Healthy", "hang");
      await operators.until(END_MINUTE);
    },
  },
  {
    // One reconcile hangs from minute 5 while the other workers go on: nothing waits in the
    // queue and reconciles keep finishing, so only the longest-running reconcile shows it.
    name: "one worker hangs: the queue stays empty and the other agents are reconciled",
    fires: "AgentryReconcileHung",
    holdsFrom: 15,
    async run(operators, chart) {
      expect(chart.workers).toBeGreaterThan(1);
      const leader = startLeader(operators);
      await operators.until(5);
      leader.setAgent("agents/b", "Healthy", "hang");
      await operators.until(END_MINUTE);
    },
  },
];

const promtool = findPrometheusBinary("promtool");
const available = requireRealPart(
  "promtool",
  promtool !== undefined,
  PROMETHEUS_HOW_TO_BUILD,
  "charts/agentry alerts",
);

describeWithCluster(
  "charts/agentry alerts under promtool test rules",
  (cluster) => {
    let chart: Chart;

    beforeAll(async () => {
      const rendered = parseRendered(
        await renderChart(cluster, ["prometheusRule.enabled=true", "serviceMonitor.enabled=true"]),
      );
      const find = (kind: string, name?: RegExp) => {
        const object = rendered.find(
          (candidate) => candidate.kind === kind && (!name || name.test(candidate.metadata.name)),
        );
        if (!object) throw new Error(`the chart rendered no ${kind} ${name ?? ""}`);
        return object as RenderedObject & { spec: Record<string, unknown> };
      };
      const groups = find("PrometheusRule").spec.groups as Chart["groups"];
      const deployment = find("Deployment").spec as {
        replicas: number;
        template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
      };
      const env = (name: string) => {
        const value = deployment.template.spec.containers[0]?.env.find((entry) => entry.name === name)?.value;
        if (value === undefined) throw new Error(`the chart's Deployment sets no ${name}`);
        return Number(value);
      };
      const endpoints = find("ServiceMonitor").spec.endpoints as Array<{ interval: string }>;
      chart = {
        groups,
        rules: groups.flatMap((group) => group.rules),
        job: find("Service", /-metrics$/).metadata.name,
        scrapeIntervalSeconds: seconds(endpoints[0]?.interval ?? ""),
        replicas: deployment.replicas,
        workers: env("AGENTRY_WORKERS"),
        resyncMs: env("AGENTRY_RESYNC_SECONDS") * 1000,
      };
    });

    afterEach(() => {
      vi.useRealTimers();
    });

    it("has a failure scenario for every alert, and every metric an alert reads is the operator's", () => {
      expect(chart.rules.map((rule) => rule.alert).sort()).toEqual(
        SCENARIOS.flatMap((scenario) => (scenario.fires ? [scenario.fires] : [])).sort(),
      );
      const exported = new OperatorReplica({ instance: "x", workers: 1, resyncMs: 1000 }).metrics.registry;
      for (const name of metricNames(chart.rules))
        expect({ name, exported: exported.getSingleMetric(name) !== undefined }).toEqual({
          name,
          exported: true,
        });
    });

    for (const scenario of SCENARIOS) {
      it(scenario.name, { timeout: 60_000 }, async () => {
        const series = await recordScenario(scenario, chart);
        const file = writePromtoolTest(chart, series, alertTests(scenario, chart));
        const result = await run(promtool ?? "promtool", ["test", "rules", file]);
        expect(result.stdout + result.stderr).toContain("SUCCESS");
        expect(result.code).toBe(0);
      });
    }
  },
  available,
);

/** Runs the scenario on fake time and returns what Prometheus would have scraped. */
async function recordScenario(scenario: Scenario, chart: Chart) {
  vi.useFakeTimers({
    now: 0,
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
  const recorder = new ScrapeRecorder(metricNames(chart.rules), chart.job);
  const replicas: OperatorReplica[] = [];
  let elapsedSeconds = 0;
  const operators: Operators = {
    replicas,
    add() {
      const replica = new OperatorReplica({
        instance: `10.244.0.${10 + replicas.length}:8080`,
        workers: chart.workers,
        resyncMs: chart.resyncMs,
      });
      replicas.push(replica);
      return replica;
    },
    async until(minute) {
      while (elapsedSeconds < minute * 60) {
        await vi.advanceTimersByTimeAsync(chart.scrapeIntervalSeconds * 1000);
        elapsedSeconds += chart.scrapeIntervalSeconds;
        await recorder.scrape(replicas);
      }
    },
  };
  await recorder.scrape(replicas);
  await scenario.run(operators, chart);
  for (const replica of replicas) replica.stop();
  vi.useRealTimers();
  expect(replicas.length).toBeGreaterThanOrEqual(chart.replicas);
  return recorder.inputSeries();
}

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations: Record<string, string> }>;
}

/**
 * Healthy: no alert at any time. A failure: its alert silent until `for` has passed since the
 * expression began to hold, then firing (until `resolvedBy`), and every other alert silent.
 */
function alertTests(scenario: Scenario, chart: Chart): AlertTest[] {
  const silent = (alert: string, minute: number): AlertTest => ({
    eval_time: `${minute * 60}s`,
    alertname: alert,
    exp_alerts: [],
  });
  const others = chart.rules.filter(
    (rule) => rule.alert !== scenario.fires && !scenario.alsoFires?.includes(rule.alert),
  );
  const checkpoints = [5, 15, 25, 35, 45, END_MINUTE - 1];
  const tests = others.flatMap((rule) => checkpoints.map((minute) => silent(rule.alert, minute)));
  const rule = chart.rules.find((candidate) => candidate.alert === scenario.fires);
  if (!rule) return tests;
  if (scenario.holdsFrom === undefined) throw new Error(`${scenario.name}: when does ${rule.alert} hold?`);
  const firesAt = scenario.holdsFrom + seconds(rule.for ?? "0s") / 60;
  const firing: AlertTest = {
    eval_time: `${(firesAt + 1) * 60}s`,
    alertname: rule.alert,
    exp_alerts: [
      {
        exp_labels: rule.labels ?? {},
        exp_annotations: Object.fromEntries(
          Object.entries(rule.annotations ?? {}).map(([name, text]) => [
            name,
            text.replaceAll("{{ $value }}", scenario.value ?? ""),
          ]),
        ),
      },
    ],
  };
  tests.push(silent(rule.alert, Math.max(0, firesAt - 1)), firing);
  if (scenario.resolvedBy !== undefined) tests.push(silent(rule.alert, scenario.resolvedBy));
  else tests.push({ ...firing, eval_time: `${(END_MINUTE - 1) * 60}s` });
  return tests;
}

function writePromtoolTest(
  chart: Chart,
  inputSeries: Array<{ series: string; values: string }>,
  tests: AlertTest[],
): string {
  const dir = mkdtempSync(path.join(tmpdir(), "agentry-alerts-"));
  writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups: chart.groups }));
  const file = path.join(dir, "alerts.test.yaml");
  const interval = `${chart.scrapeIntervalSeconds}s`;
  writeFileSync(
    file,
    stringify({
      rule_files: ["rules.yaml"],
      evaluation_interval: interval,
      tests: [{ interval, input_series: inputSeries, alert_rule_test: tests }],
    }),
  );
  return file;
}

/** The operator's metrics the expressions read. */
function metricNames(rules: AlertRule[]): Set<string> {
  return new Set(rules.flatMap((rule) => rule.expr.match(/\bagentry_[a-z_]+/g) ?? []));
}

/** A Prometheus duration ("30s", "15m", "1h30m") in seconds. */
function seconds(duration: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600 };
  const parts = [...duration.matchAll(/(\d+)([smh])/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== duration)
    throw new Error(`not a duration this test reads: "${duration}"`);
  return parts.reduce((total, [, count, unit]) => total + Number(count) * (units[unit ?? "s"] ?? 0), 0);
}
