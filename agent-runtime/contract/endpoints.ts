/** Paths and the port the operator wires probes, Services and scrapes to. */
export const RUNTIME_ENDPOINTS = {
  /** The port the runtime listens on inside a pod (AGENTRY_PORT's default). */
  defaultPort: 8080,
  /** Startup and liveness: the process serves HTTP. */
  livez: "/livez",
  /** Readiness: started and not draining (dependencies only in `?verbose`). */
  readyz: "/readyz",
  /** Prometheus metrics (names in metric-names.ts). */
  metrics: "/metrics",
  chat: "/v1/chat",
  chatCompletions: "/v1/chat/completions",
} as const;
