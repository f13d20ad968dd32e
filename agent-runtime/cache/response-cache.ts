/**
 * Response cache in Redis, for deterministic requests only (see `cacheable.ts`). Keys come from
 * `cache-key.ts`: equal requests of one caller, revision and provider share an entry on any replica.
 *
 * A cacheable request needs no state, so a Redis outage does not fail it: the look-up reports
 * `error` (counted in the cache metric) and the answer comes from the model.
 */
import { type RedisClient, withRedis } from "../redis/redis-client.ts";

export type CacheLookup = { result: "hit"; value: string } | { result: "miss" } | { result: "error" };

export type ResponseCache = {
  get(key: string): Promise<CacheLookup>;
  set(key: string, value: string): Promise<void>;
};

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
