/**
 * What a response-cache key covers. A cached answer carries the provider's completion id and
 * creation time, so an entry found under another caller's key tells this caller that someone asked
 * the same thing, and when: keys hold the caller's principal unless the agent opts into sharing.
 * They also hold the revision (a canary served stable's cached answers would look exactly as good
 * as stable to every analysis), the provider the answer came from, and the whole request as sent
 * to the model. Everything goes into one SHA-256, so keys stay bounded and no field (the caller's
 * id, the provider's key hash) is readable in Redis.
 */
import { createHash } from "node:crypto";
import type { RuntimeConfig } from "../config/runtime-config.ts";

export type CacheScope = {
  revision: string;
  /** Callers who send the same request get the same answer, ids and times included. */
  shared: boolean;
  provider: {
    type: string;
    baseURL: string;
    azureDeployment: string | undefined;
    azureApiVersion: string | undefined;
    /** A hash of the API key, never the key: a rotated key drops the old key's entries. */
    apiKeyHash: string | undefined;
  };
};

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function cacheScopeOf(config: Pick<RuntimeConfig, "revision" | "provider" | "cache">): CacheScope {
  const { provider } = config;
  return {
    revision: config.revision,
    shared: config.cache.shared,
    provider: {
      type: provider.type,
      baseURL: provider.baseURL,
      azureDeployment: provider.azure?.deployment,
      azureApiVersion: provider.azure?.apiVersion,
      apiKeyHash: provider.apiKey === undefined ? undefined : sha256(`agentry-cache-key:${provider.apiKey}`),
    },
  };
}

/** JSON with object keys sorted, so {a,b} and {b,a} hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * `principalId` is the caller's (undefined without auth: every caller is one anonymous caller);
 * `request` is everything that shapes the answer, as the model will see it.
 */
export function cacheKeyOf(
  keyPrefix: string,
  scope: CacheScope,
  principalId: string | undefined,
  request: unknown,
): string {
  const { shared, ...rest } = scope;
  const owner = shared ? { shared: true } : { principal: principalId ?? null };
  return `${keyPrefix}cache:${sha256(canonicalJson({ ...rest, owner, request }))}`;
}
