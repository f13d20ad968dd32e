/** The runtime's configuration as the rest of the runtime sees it: parsed once, typed, immutable. */
import type { HostPort } from "../contract/runtime-env.ts";
import type { ToolDefinition } from "./env-schema.ts";

export type ProxyConfig = {
  httpProxy: string | undefined;
  httpsProxy: string | undefined;
  noProxy: string | undefined;
};

export type AuthConfig =
  | { mode: "none" }
  | { mode: "apiKey"; keys: string[] }
  | {
      mode: "jwt";
      secret: string | undefined;
      jwksUrl: string | undefined;
      issuer: string | undefined;
      audience: string | undefined;
      rolesClaim: string;
      subjectClaim: string;
      routeRoles: Record<string, string[]>;
    };

export type RedisEndpoint = HostPort;

/** How to reach Redis: one server by URL, a Sentinel-managed master, or a Cluster. */
export type RedisConnectionConfig =
  | { mode: "standalone"; url: string }
  | {
      mode: "sentinel";
      masterName: string;
      sentinels: RedisEndpoint[];
      sentinelPassword: string | undefined;
      username: string | undefined;
      password: string | undefined;
      tls: boolean;
    }
  | {
      mode: "cluster";
      nodes: RedisEndpoint[];
      username: string | undefined;
      password: string | undefined;
      tls: boolean;
    };

export type RedisConfig = {
  connection: RedisConnectionConfig | undefined;
  keyPrefix: string;
  /** Replicas a session write must reach (WAIT) before the turn is answered. */
  waitReplicas: number;
};

export type AuthFailureLimitConfig = { failuresPerMinute: number; burst: number };

export type RateLimitConfig = { requestsPerMinute: number; burst: number; key: "client" | "ip" | "global" };

export type RuntimeConfig = {
  revision: string;
  /** The `agent` label of every metric, when known. */
  agent: string | undefined;
  server: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    shutdownDeadlineMs: number;
    /** Time to receive a whole request; Node's `requestTimeout`. */
    requestTimeoutMs: number;
  };
  /** Limits of a turn: how many run at once on this replica, and for how long each may run. */
  turns: {
    maxConcurrent: number;
    /** Per caller (principal, else client address); undefined = no per-caller limit. */
    maxConcurrentPerCaller: number | undefined;
    deadlineMs: number;
  };
  log: { level: string; content: boolean };
  model: {
    name: string;
    temperature: number | undefined;
    maxTokens: number | undefined;
    systemPrompt: string | undefined;
  };
  /** What the agent lets a /v1/chat/completions client choose. */
  passthrough: { maxN: number; allowTemperature: boolean; allowTools: boolean };
  provider: {
    type: "openai" | "azure";
    baseURL: string;
    apiKey: string | undefined;
    azure: { deployment: string; apiVersion: string } | undefined;
    timeoutMs: number;
    maxRetries: number;
    maxConnections: number;
    maxResponseBytes: number;
    proxy: ProxyConfig;
    breaker: { failureThreshold: number; cooldownMs: number };
    readinessCheck: boolean;
  };
  redis: RedisConfig;
  memory: {
    ttlSeconds: number;
    maxHistoryMessages: number;
    maxHistoryBytes: number;
    maxMessageBytes: number;
    maxSessionsPerCaller: number;
  };
  /** `shared`: callers who send the same request get the same answer, ids and times included. */
  cache: { ttlSeconds: number; shared: boolean };
  tools: {
    definitions: ToolDefinition[];
    maxRounds: number;
    maxCallsPerRound: number;
    maxCallsPerTurn: number;
    /** Tool calls of one turn in flight at once. */
    concurrency: number;
    defaultTimeoutMs: number;
    /** Characters of a failed tool's answer shown to the model. */
    errorExcerptChars: number;
  };
  auth: AuthConfig;
  /** Per client address, for failed authentication; unset without auth or when turned off. */
  authFailureLimit: AuthFailureLimitConfig | undefined;
  rateLimit: RateLimitConfig | undefined;
};

/** Thrown when the environment is invalid; `problems` lists every problem, not just the first. */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid runtime configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}
