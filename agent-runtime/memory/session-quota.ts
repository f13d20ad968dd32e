/**
 * How many live sessions one caller may have. Each principal has a sorted set of its session ids
 * scored by when they expire; a turn on a session the set does not hold is refused once the set
 * holds the maximum. One key per principal, touched by its own script (never together with a
 * session's keys, which hash to other Cluster slots). The set's entry is renewed on every turn,
 * like the session's own TTL, so both expire together give or take one turn's duration.
 */
import type { Principal } from "../auth/principal.ts";
import { type RedisClient, withRedis } from "../redis/redis-client.ts";
import { defineScript } from "../redis/redis-script.ts";

export type SessionQuota = {
  /** Records the session as live; false when the caller already has the maximum of others. */
  claim(owner: Principal, sessionId: string): Promise<boolean>;
};

// KEYS[1] the principal's set; ARGV[1] session id, ARGV[2] max sessions, ARGV[3] TTL seconds.
const CLAIM_SESSION = `
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`;

export function sessionQuotaKeyOf(keyPrefix: string, owner: Principal): string {
  return `${keyPrefix}sessions:{${encodeURIComponent(owner.id)}}`;
}

export function createSessionQuota(
  redis: RedisClient,
  options: { keyPrefix: string; ttlSeconds: number; maxSessionsPerCaller: number },
): SessionQuota {
  const claimSession = defineScript(redis, "agentryClaimSession", 1, CLAIM_SESSION);
  return {
    claim: (owner, sessionId) =>
      withRedis(redis, async () => {
        const claimed = await claimSession.run(
          [sessionQuotaKeyOf(options.keyPrefix, owner)],
          [sessionId, options.maxSessionsPerCaller, options.ttlSeconds],
        );
        return claimed === 1;
      }),
  };
}
