import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { STRATEGY_TYPES } from "../api/strategy-spec.ts";

/**
 * conflict: a write met a newer resourceVersion (the cache was a moment behind) and the key is
 * retried; it is no failure, so the reconcile-errors alert does not count it.
 */
export const RECONCILE_RESULTS = ["success", "blocked", "conflict", "error"] as const;
/** The outcomes a rollout ends with (status.history's outcomes other than Progressing). */
export const ROLLOUT_OUTCOMES = ["Promoted", "Aborted", "Superseded"] as const;

/** The operator's own metrics, served on /metrics. */
export function createOperatorMetrics() {
  const metrics = defineOperatorMetrics();
  // Counters are exported at zero from the start: increase() and rate() see no increase in a
  // series' first sample, so the first abort or error after a restart would otherwise go unseen.
  for (const result of RECONCILE_RESULTS) metrics.reconciles.inc({ result }, 0);
  for (const strategy of STRATEGY_TYPES)
    for (const outcome of ROLLOUT_OUTCOMES) metrics.rollouts.inc({ strategy, outcome }, 0);
  return metrics;
}

function defineOperatorMetrics() {
  const registry = new Registry();
  let longestProcessingMs = () => 0;
  collectDefaultMetrics({ register: registry, prefix: "agentry_operator_" });
  return {
    registry,
    reconciles: new Counter({
      name: "agentry_reconcile_total",
      help: "Reconciles by result: success, blocked (agent cannot be reconciled as written), conflict (a write met a newer version; retried), error.",
      labelNames: ["result"],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: "agentry_reconcile_duration_seconds",
      help: "Time to observe, plan and apply one AgentDeployment.",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "agentry_workqueue_depth",
      help: "Keys waiting in the work queue.",
      registers: [registry],
    }),
    queueLongestRunning: new Gauge({
      name: "agentry_workqueue_longest_running_seconds",
      help: "How long the oldest reconcile still running has been running (0 when none): a worker stuck on a request shows here even while no key waits.",
      registers: [registry],
      collect() {
        this.set(longestProcessingMs() / 1000);
      },
    }),
    /** Reads the work queue's longest-running key at every scrape. */
    observeQueue(queue: { longestProcessingMs(): number }): void {
      longestProcessingMs = () => queue.longestProcessingMs();
    },
    queueRetries: new Counter({
      name: "agentry_workqueue_retries_total",
      help: "Keys requeued with backoff after an error or a blocked reconcile.",
      registers: [registry],
    }),
    kubeRequests: new Counter({
      name: "agentry_kube_requests_total",
      help: "Requests to the Kubernetes API by verb (get, list, watch, apply, create, patch, update, delete), resource and HTTP code.",
      labelNames: ["verb", "resource", "code"],
      registers: [registry],
    }),
    kubeRequestDuration: new Histogram({
      name: "agentry_kube_request_duration_seconds",
      help: "Latency of Kubernetes API requests (watches excluded).",
      labelNames: ["verb"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    driftRepairs: new Counter({
      name: "agentry_drift_repairs_total",
      help: "Owned objects written back because their live state no longer matched what the operator declares, by kind.",
      labelNames: ["kind"],
      registers: [registry],
    }),
    driftFights: new Counter({
      name: "agentry_drift_fights_total",
      help: "Times the operator paused repairing an object that kept changing back (another writer owns a field), by kind.",
      labelNames: ["kind"],
      registers: [registry],
    }),
    rollouts: new Counter({
      name: "agentry_rollouts_total",
      help: "Rollouts that ended, by strategy (RollingUpdate, Canary, BlueGreen) and outcome (Promoted, Aborted, Superseded).",
      labelNames: ["strategy", "outcome"],
      registers: [registry],
    }),
    rolloutDuration: new Histogram({
      name: "agentry_rollout_duration_seconds",
      help: "Time from the start of a rollout to its promotion or abort, by strategy and outcome.",
      labelNames: ["strategy", "outcome"],
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
      registers: [registry],
    }),
    leader: new Gauge({
      name: "agentry_leader",
      help: "1 while this replica holds the leader Lease.",
      registers: [registry],
    }),
    agents: new Gauge({
      name: "agentry_agents",
      help: "AgentDeployments in the watched namespaces, by status.phase (Progressing, Paused, Healthy, Degraded; Unknown before a first status).",
      labelNames: ["phase"],
      registers: [registry],
    }),
    cachedObjects: new Gauge({
      name: "agentry_informer_objects",
      help: "Objects held in the informer caches, by resource.",
      labelNames: ["resource"],
      registers: [registry],
    }),
  };
}

export type OperatorMetrics = ReturnType<typeof defineOperatorMetrics>;

/** Write verbs: the steady-state test asserts none of these happen after convergence. */
export const WRITE_VERBS = ["apply", "create", "patch", "update", "delete"] as const;
