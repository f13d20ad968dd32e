/**
 * Prometheus metrics of the runtime; their names and labels are the contract in
 * contract/metric-names.ts.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { METRIC_NAMES, SERIES_LABELS } from "../contract/metric-names.ts";

export type RuntimeMetrics = {
  registry: Registry;
  requests: Counter<"route" | "status">;
  requestDuration: Histogram<"route">;
  llmRequests: Counter<"outcome">;
  llmTokens: Counter<"kind">;
  inflight: Gauge;
  llmDuration: Histogram<"outcome">;
  toolCalls: Counter<"tool" | "outcome">;
  cache: Counter<"result">;
  requestOverhead: Histogram<"route">;
  /** Turns refused by a concurrency limit, by `limit` (replica | caller). */
  turnsRefused: Counter<"limit">;
  /** `agentry_dependency_up{dependency}`: computed when scraped, from the source given here. */
  dependencyUp: { collectWith(source: () => Promise<Record<string, boolean>>): void };
};

export function createMetrics(
  revision: string,
  options: { processMetrics?: boolean; agent?: string | undefined } = {},
): RuntimeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(
    options.agent === undefined
      ? { [SERIES_LABELS.revision]: revision }
      : { [SERIES_LABELS.revision]: revision, [SERIES_LABELS.agent]: options.agent },
  );
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let dependencySource: (() => Promise<Record<string, boolean>>) | undefined;
  new Gauge({
    name: METRIC_NAMES.dependencyUp,
    help: "1 while a shared dependency (redis, model) is usable, else 0. The pod stays ready either way; requests that need it fail fast.",
    labelNames: ["dependency"],
    registers,
    async collect() {
      if (!dependencySource) return;
      for (const [dependency, up] of Object.entries(await dependencySource())) {
        this.set({ dependency }, up ? 1 : 0);
      }
    },
  });
  return {
    dependencyUp: {
      collectWith: (source) => {
        dependencySource = source;
      },
    },
    registry,
    requests: new Counter({
      name: METRIC_NAMES.requests,
      help: "API requests answered, by route and HTTP status code.",
      labelNames: ["route", "status"],
      registers,
    }),
    requestDuration: new Histogram({
      name: METRIC_NAMES.requestDuration,
      help: "Time from request received to response finished, in seconds.",
      labelNames: ["route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    llmRequests: new Counter({
      name: METRIC_NAMES.llmRequests,
      help: "Model call attempts (each retry counts), by outcome.",
      labelNames: ["outcome"],
      registers,
    }),
    llmTokens: new Counter({
      name: METRIC_NAMES.llmTokens,
      help: "Tokens reported by the model endpoint, by kind (prompt | completion).",
      labelNames: ["kind"],
      registers,
    }),
    inflight: new Gauge({
      name: METRIC_NAMES.inflight,
      help: "API requests currently being served.",
      registers,
    }),
    llmDuration: new Histogram({
      name: METRIC_NAMES.llmDuration,
      help: "Duration of one model call attempt, in seconds.",
      labelNames: ["outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    toolCalls: new Counter({
      name: METRIC_NAMES.toolCalls,
      help: "Tool calls executed, by tool and outcome (ok | error | timeout | unknown_tool).",
      labelNames: ["tool", "outcome"],
      registers,
    }),
    cache: new Counter({
      name: METRIC_NAMES.cache,
      help: "Response cache look-ups, by result (hit | miss | error).",
      labelNames: ["result"],
      registers,
    }),
    turnsRefused: new Counter({
      name: METRIC_NAMES.turnsRefused,
      help: "Turns refused at once because a concurrency limit was reached, by limit (replica: AGENTRY_MAX_CONCURRENT_TURNS, 503; caller: AGENTRY_MAX_CONCURRENT_TURNS_PER_CALLER, 429).",
      labelNames: ["limit"],
      registers,
    }),
    requestOverhead: new Histogram({
      name: METRIC_NAMES.requestOverhead,
      help: "Time the runtime added to a request: its duration minus the time spent waiting for model and tool calls (so its own work, Redis and queueing), in seconds.",
      labelNames: ["route"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
}
