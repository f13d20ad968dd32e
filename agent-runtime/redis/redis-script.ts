/**
 * A Lua script registered with ioredis (`defineCommand`): run by EVALSHA, loaded with EVAL when the
 * server does not know it yet (after a restart, a failover or SCRIPT FLUSH). In a Cluster every key
 * of one call must hash to one slot; the callers use hash tags for that.
 */
import type { ChainableCommander } from "ioredis";
import type { RedisClient } from "./redis-client.ts";

type ScriptArg = string | number;
type ScriptCommand = (...args: ScriptArg[]) => unknown;

export type RedisScript = {
  run(keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown>;
  /** Adds the call to a pipeline, e.g. to follow it with WAIT on the same server. */
  queue(pipeline: ChainableCommander, keys: readonly string[], args: readonly ScriptArg[]): void;
};

export function defineScript(
  redis: RedisClient,
  name: string,
  numberOfKeys: number,
  lua: string,
): RedisScript {
  redis.defineCommand(name, { numberOfKeys, lua });
  const commandOf = (target: RedisClient | ChainableCommander) =>
    (target as unknown as Record<string, ScriptCommand>)[name] as ScriptCommand;
  return {
    run: (keys, args) => commandOf(redis).call(redis, ...keys, ...args) as Promise<unknown>,
    queue: (pipeline, keys, args) => {
      commandOf(pipeline).call(pipeline, ...keys, ...args);
    },
  };
}
