/**
 * The runtime's Prometheus metrics as a contract with the operator's analysis (errorRate,
 * latencyP95Seconds, llmErrorRate, tokensPerRequest) and with dashboards: rename nothing. Every
 * series carries `revision`, so stable and canary pods can be compared, and `agent` when the
 * runtime knows its agent's name (AGENTRY_AGENT), so analysis can select one agent's series.
 */
export const METRIC_NAMES = {
  requests: "agentry_requests_total",
  requestDuration: "agentry_request_duration_seconds",
  llmRequests: "agentry_llm_requests_total",
  llmTokens: "agentry_llm_tokens_total",
  inflight: "agentry_inflight_requests",
  llmDuration: "agentry_llm_request_duration_seconds",
  toolCalls: "agentry_tool_calls_total",
  cache: "agentry_cache_requests_total",
  requestOverhead: "agentry_request_overhead_seconds",
  dependencyUp: "agentry_dependency_up",
  turnsRefused: "agentry_turns_refused_total",
} as const;

/** Labels every series of the runtime carries (set as default labels of its registry). */
export const SERIES_LABELS = { revision: "revision", agent: "agent" } as const;

/** Outcomes of one model call attempt, the `outcome` label of agentry_llm_requests_total. */
export type LlmOutcome =
  | "success"
  | "rate_limited"
  | "server_error"
  /** The provider refused the request's content (400, 413, 422): the caller's mistake, not the revision's. */
  | "client_error"
  /** The provider refused the agent's own key (401, 403). */
  | "auth_failed"
  /** Any other provider 4xx (a 404 of the agent's model): the revision's configuration. */
  | "request_rejected"
  | "timeout"
  | "connection_error"
  | "bad_response"
  | "aborted"
  | "circuit_open";
