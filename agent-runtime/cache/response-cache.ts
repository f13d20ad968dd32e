/**
 * Response cache in Redis, for deterministic requests only (see `cacheable.ts`). Keys are a
 * SHA-256 of the canonical request, so equal requests from any replica share an entry.
 *
 * A cacheable request needs no state, so a Redis outage does not fail it: the look-up reports
 * `error` (counted in the cache metric) and the answer comes from the model.
 */
import { createHash } from "node:crypto";
import { type RedisClient, withRedis } from "../redis/redis-client.ts";

export type CacheLookup = { result: "hit"; value: string } | { result: "miss" } | { result: "error" };

export type ResponseCache = {
  get(key: string): Promise<CacheLookup>;
  set(key: string, value: string): Promise<void>;
};

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

export function cacheKeyOf(keyPrefix: string, request: unknown): string {
  return `${keyPrefix}cache:${createHash("sha256").update(canonicalJson(request)).digest("hex")}`;
}

export function createResponseCache(redis: RedisClient, options: { ttlSeconds: number }): ResponseCache {
  return {
    get: async (key) => {
      try {
        const value = await withRedis(redis, () => redis.get(key));
        return value === null ? { result: "miss" } : { result: "hit", value };
      } catch {
        return { result: "error" };
      }
    },
    set: (key, value) =>
      withRedis(redis, async () => {
        await redis.set(key, value, "EX", options.ttlSeconds);
      }),
  };
}
