/**
 * Token-bucket rate limit shared by every replica: the bucket lives in Redis and one Lua script
 * reads, refills and takes from it atomically, using Redis's clock so replicas' clocks don't matter.
 *
 * While Redis is unavailable the limiter fails open to a per-replica bucket (`local-rate-limiter.ts`):
 * requests keep being limited, each replica on its own, instead of every request failing with 503
 * or none being limited at all. The switch is logged once each way.
 */
import type { Logger } from "pino";
import type { RateLimitConfig } from "../config/runtime-config.ts";
import { type RedisClient, withRedis } from "../redis/redis-client.ts";
import { defineScript } from "../redis/redis-script.ts";
import { createLocalRateLimiter } from "./local-rate-limiter.ts";
import type { RateLimitDecision, RateLimiter } from "./rate-limit-decision.ts";

// KEYS[1] bucket; ARGV[1] capacity, ARGV[2] tokens per ms.
const TAKE_TOKEN = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(bucket[1])
local ts = tonumber(bucket[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local retry_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry_ms = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return {allowed, math.floor(tokens), retry_ms, math.ceil((capacity - tokens) / rate)}
`;

/** Picks the bucket a request draws from. `client` falls back to the IP for anonymous callers. */
export function rateLimitKeyOf(
  mode: RateLimitConfig["key"],
  principalId: string | undefined,
  ip: string,
): string {
  if (mode === "global") return "global";
  if (mode === "client" && principalId) return `client:${principalId}`;
  return `ip:${ip}`;
}

/** IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers) plus Retry-After on refusal. */
export function rateLimitHeaders(
  decision: RateLimitDecision,
  config: RateLimitConfig,
): Record<string, string> {
  const headers: Record<string, string> = {
    "ratelimit-limit": String(decision.limit),
    "ratelimit-remaining": String(decision.remaining),
    "ratelimit-reset": String(Math.ceil(decision.resetMs / 1000)),
    "ratelimit-policy": `${config.burst};w=${Math.ceil((config.burst / config.requestsPerMinute) * 60)}`,
  };
  if (!decision.allowed)
    headers["retry-after"] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  return headers;
}

type TakeTokenReply = [number, number, number, number];

export function createRateLimiter(
  redis: RedisClient,
  config: RateLimitConfig,
  keyPrefix: string,
  logger: Logger,
): RateLimiter {
  const takeToken = defineScript(redis, "agentryTakeToken", 1, TAKE_TOKEN);
  const tokensPerMs = config.requestsPerMinute / 60_000;
  const local = createLocalRateLimiter(config);
  let shared = true;
  const takeShared = (key: string) =>
    withRedis(redis, async () => {
      const [allowed, remaining, retryAfterMs, resetMs] = (await takeToken.run(
        [`${keyPrefix}ratelimit:${key}`],
        [config.burst, tokensPerMs],
      )) as TakeTokenReply;
      return { allowed: allowed === 1, limit: config.burst, remaining, retryAfterMs, resetMs };
    });
  return {
    take: async (key) => {
      try {
        const decision = await takeShared(key);
        if (!shared) logger.info("rate limit shared through Redis again");
        shared = true;
        return decision;
      } catch (error) {
        if (shared) {
          logger.warn(
            { err: { message: (error as Error).message } },
            "rate limit falls back to per-replica buckets while Redis is unavailable",
          );
        }
        shared = false;
        return local.take(key);
      }
    },
  };
}
