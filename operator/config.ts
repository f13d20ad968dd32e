import { hostname } from "node:os";
import { z } from "zod";
import { imageReference } from "./api/image-reference.ts";

const flag = z.stringbool();

/** The operator's configuration: environment variables only, parsed once at start-up. */
export const operatorEnvSchema = z
  .object({
    AGENTRY_RUNTIME_IMAGE: imageReference
      .optional()
      .describe("Default agent runtime image for AgentDeployments without spec.image."),
    AGENTRY_WATCH_NAMESPACES: z
      .string()
      .default("")
      .transform((raw) => raw.split(/[\s,]+/).filter(Boolean))
      .describe("Comma-separated namespaces to watch; empty watches all."),
    AGENTRY_WORKERS: z.coerce.number().int().min(1).max(64).default(4).describe("Concurrent reconciles."),
    AGENTRY_LEADER_ELECTION: flag
      .default(true)
      .describe("Elect a leader through a Lease (for two or more replicas)."),
    AGENTRY_LEASE_NAMESPACE: z
      .string()
      .optional()
      .describe("Namespace of the Lease; default POD_NAMESPACE or default."),
    AGENTRY_LEASE_NAME: z.string().default("agentry-operator").describe("Name of the leader Lease."),
    POD_NAMESPACE: z.string().optional().describe("The operator's namespace (downward API)."),
    POD_NAME: z.string().optional().describe("The operator pod's name, its leader-election identity."),
    AGENTRY_HTTP_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(8081)
      .describe("Port of /metrics, /healthz, /readyz."),
    AGENTRY_HTTP_HOST: z.string().default("0.0.0.0").describe("Address of /metrics, /healthz, /readyz."),
    AGENTRY_CLUSTER_DOMAIN: z
      .string()
      .default("cluster.local")
      .describe("Cluster DNS domain, for agent URLs."),
    AGENTRY_RESYNC_SECONDS: z.coerce
      .number()
      .int()
      .min(10)
      .default(600)
      .describe("Every agent is reconciled at least this often, even without events."),
    AGENTRY_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    AGENTRY_KUBE_REQUEST_TIMEOUT_SECONDS: z.coerce
      .number()
      .min(1)
      .default(30)
      .describe("Deadline of every API server request (retries included) and of opening a watch."),
    AGENTRY_KUBE_WATCH_IDLE_SECONDS: z.coerce
      .number()
      .min(1)
      .default(300)
      .describe("A watch that receives nothing, not even a bookmark, this long is reopened."),
    AGENTRY_SHUTDOWN_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(20)
      .describe("Drain deadline on SIGTERM."),
    AGENTRY_PROMETHEUS_ADDRESS: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("Prometheus HTTP API that analyses query when they name none (spec...analysis.prometheus)."),
    AGENTRY_PROMETHEUS_BEARER_TOKEN_FILE: z
      .string()
      .optional()
      .describe(
        "File holding a bearer token for AGENTRY_PROMETHEUS_ADDRESS, read on every measurement (a projected token rotates).",
      ),
    AGENTRY_PROMETHEUS_CA_FILE: z
      .string()
      .optional()
      .describe("PEM CA certificates that sign AGENTRY_PROMETHEUS_ADDRESS's certificate."),
  })
  .superRefine((env, ctx) => {
    // A token or CA without the address it belongs to would be silently unused.
    if (env.AGENTRY_PROMETHEUS_ADDRESS !== undefined) return;
    for (const name of ["AGENTRY_PROMETHEUS_BEARER_TOKEN_FILE", "AGENTRY_PROMETHEUS_CA_FILE"] as const) {
      if (env[name] !== undefined) {
        ctx.addIssue({ code: "custom", path: [name], message: "needs AGENTRY_PROMETHEUS_ADDRESS" });
      }
    }
  });

export type OperatorConfig = ReturnType<typeof toOperatorConfig>;

export class OperatorConfigError extends Error {
  override readonly name = "OperatorConfigError";
  readonly code = "OPERATOR_CONFIG_INVALID";
}

/** Empty variables count as unset, as a chart that renders `value: ""` for an unset option means. */
export function parseOperatorConfig(env: Record<string, string | undefined>) {
  const set = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = operatorEnvSchema.safeParse(set);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  - ${issue.path.join(".")}: ${issue.message}`);
    throw new OperatorConfigError(`invalid operator configuration:\n${problems.join("\n")}`);
  }
  return toOperatorConfig(result.data);
}

function toOperatorConfig(env: z.output<typeof operatorEnvSchema>) {
  return {
    defaultImage: env.AGENTRY_RUNTIME_IMAGE,
    namespaces: env.AGENTRY_WATCH_NAMESPACES,
    workers: env.AGENTRY_WORKERS,
    leaderElection: env.AGENTRY_LEADER_ELECTION,
    leaseNamespace: env.AGENTRY_LEASE_NAMESPACE ?? env.POD_NAMESPACE ?? "default",
    leaseName: env.AGENTRY_LEASE_NAME,
    identity: env.POD_NAME ?? `${hostname()}-${process.pid}`,
    http: { host: env.AGENTRY_HTTP_HOST, port: env.AGENTRY_HTTP_PORT },
    clusterDomain: env.AGENTRY_CLUSTER_DOMAIN,
    resyncMs: env.AGENTRY_RESYNC_SECONDS * 1000,
    logLevel: env.AGENTRY_LOG_LEVEL,
    shutdownMs: env.AGENTRY_SHUTDOWN_SECONDS * 1000,
    kube: {
      requestTimeoutMs: env.AGENTRY_KUBE_REQUEST_TIMEOUT_SECONDS * 1000,
      watchIdleTimeoutMs: env.AGENTRY_KUBE_WATCH_IDLE_SECONDS * 1000,
    },
    /** The default Prometheus of analyses; its token and CA apply to this address only. */
    prometheus: {
      address: env.AGENTRY_PROMETHEUS_ADDRESS,
      bearerTokenFile: env.AGENTRY_PROMETHEUS_BEARER_TOKEN_FILE,
      caFile: env.AGENTRY_PROMETHEUS_CA_FILE,
    },
  };
}
