import type { Logger } from "pino";
import type { Authenticator } from "./auth/authenticator.ts";
import type { ResponseCache } from "./cache/response-cache.ts";
import type { RuntimeConfig } from "./config/runtime-config.ts";
import type { Readiness } from "./health/readiness.ts";
import type { ModelClient, ModelPassthrough } from "./llm/model-calls.ts";
import type { SessionQuota } from "./memory/session-quota.ts";
import type { SessionStore } from "./memory/session-store.ts";
import type { RuntimeMetrics } from "./observability/metrics.ts";
import type { AuthFailureLimiter } from "./ratelimit/auth-failure-limiter.ts";
import type { RateLimiter } from "./ratelimit/rate-limit-decision.ts";
import type { ToolExecutor } from "./tools/tool-executor.ts";

/** Everything `buildApp` needs; Redis-backed parts are absent when no Redis is configured. */
export type AppDeps = {
  config: RuntimeConfig;
  logger: Logger;
  metrics: RuntimeMetrics;
  model: ModelClient & ModelPassthrough;
  tools: ToolExecutor;
  authenticate: Authenticator;
  sessions: SessionStore | undefined;
  sessionQuota: SessionQuota | undefined;
  cache: ResponseCache | undefined;
  rateLimiter: RateLimiter | undefined;
  authFailures: AuthFailureLimiter | undefined;
  readiness: Readiness;
};
