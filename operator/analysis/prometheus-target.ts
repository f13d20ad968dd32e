/**
 * Which Prometheus an analysis queries, with which credentials: the analysis's own
 * `prometheus` (its token and CA from Secrets in the agent's namespace) or else the operator's
 * AGENTRY_PROMETHEUS_* settings. The operator's token and CA go only to the operator's address,
 * never to an address written in an AgentDeployment.
 */
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import type { prometheusSpec } from "../api/analysis-spec.ts";
import type { OperatorConfig } from "../config.ts";
import type { PrometheusTarget } from "./prometheus-client.ts";

export type PrometheusSpec = z.output<typeof prometheusSpec>;
export type SecretKeyRef = { name: string; key: string };
/** A Secret key's value in the agent's namespace; undefined when the Secret or key is missing. */
export type ReadSecretKey = (ref: SecretKeyRef) => Promise<string | undefined>;
export type ReadTextFile = (path: string) => Promise<string>;

export type ResolvedPrometheusTarget =
  | { kind: "target"; target: PrometheusTarget }
  | { kind: "error"; message: string };

export async function resolvePrometheusTarget(
  spec: PrometheusSpec | undefined,
  operator: OperatorConfig["prometheus"],
  readSecret: ReadSecretKey,
  readTextFile: ReadTextFile = (path) => readFile(path, "utf8"),
): Promise<ResolvedPrometheusTarget> {
  try {
    if (spec !== undefined) {
      const target: PrometheusTarget = { address: spec.address };
      if (spec.bearerTokenSecretRef) {
        target.bearerToken = token(
          await secretValue(spec.bearerTokenSecretRef, "bearerTokenSecretRef", readSecret),
        );
      }
      if (spec.caSecretRef) target.ca = await secretValue(spec.caSecretRef, "caSecretRef", readSecret);
      if (spec.insecureSkipVerify) target.insecureSkipVerify = true;
      return { kind: "target", target };
    }
    if (operator.address === undefined) {
      return {
        kind: "error",
        message:
          "no Prometheus address: set the analysis's prometheus.address or the operator's AGENTRY_PROMETHEUS_ADDRESS",
      };
    }
    const target: PrometheusTarget = { address: operator.address };
    if (operator.bearerTokenFile !== undefined) {
      target.bearerToken = token(
        await fileValue(operator.bearerTokenFile, "AGENTRY_PROMETHEUS_BEARER_TOKEN_FILE", readTextFile),
      );
    }
    if (operator.caFile !== undefined) {
      target.ca = await fileValue(operator.caFile, "AGENTRY_PROMETHEUS_CA_FILE", readTextFile);
    }
    return { kind: "target", target };
  } catch (error) {
    return { kind: "error", message: (error as Error).message };
  }
}

async function secretValue(ref: SecretKeyRef, field: string, readSecret: ReadSecretKey): Promise<string> {
  let value: string | undefined;
  try {
    value = await readSecret(ref);
  } catch (error) {
    throw new Error(`prometheus.${field}: cannot read Secret "${ref.name}": ${(error as Error).message}`);
  }
  if (value === undefined) {
    throw new Error(`prometheus.${field}: Secret "${ref.name}" has no key "${ref.key}" (or does not exist)`);
  }
  if (value.trim() === "")
    throw new Error(`prometheus.${field}: key "${ref.key}" of Secret "${ref.name}" is empty`);
  return value;
}

async function fileValue(path: string, setting: string, readTextFile: ReadTextFile): Promise<string> {
  let value: string;
  try {
    value = await readTextFile(path);
  } catch (error) {
    throw new Error(
      `${setting}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (value.trim() === "") throw new Error(`${setting}: ${path} is empty`);
  return value;
}

/** Token files and Secrets often end with a newline, which is no part of the token. */
function token(value: string): string {
  return value.trim();
}
