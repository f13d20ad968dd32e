/**
 * Conversation memory in Redis, kept in the shape the model request needs it in.
 *
 * Per session, two keys with the same TTL:
 * - `…history:ID` a string: every message's JSON (`{"role":…,"content":…}`), comma-separated,
 *   oldest first, always starting with a user message;
 * - `…history:ID:index` a list: one entry per message, its role letter and byte length.
 * (Earlier versions kept a list under `…session:ID`; those keys are left to expire.)
 *
 * Loading is one GET whose answer is spliced into the model request as is: no message is parsed
 * or re-serialized on the hot path (per message, that was a tenth of the runtime's CPU).
 *
 * A turn appends its user message and the answer in one atomic script, so two concurrent turns
 * on the same session both land, each pair adjacent, and no read-modify-write can drop the
 * other's turn. The script trims to the newest `maxHistoryMessages` and then drops any answer
 * left without its question (a history that starts with an answer confuses models). If one key
 * was lost without the other (eviction), the script starts the session afresh rather than
 * serving a history whose index no longer matches.
 */
import { type RedisConnection, withRedis } from "../redis/redis-client.ts";

export type StoredMessage = { role: "user" | "assistant"; content: string };

/**
 * A session's messages as comma-separated JSON objects, oldest first, starting with a user
 * message; "" for a new session. `[${history}]` is a JSON array of StoredMessage.
 */
export type SessionHistory = string;

export type SessionStore = {
  load(sessionId: string): Promise<SessionHistory>;
  appendTurn(sessionId: string, messages: StoredMessage[]): Promise<void>;
};

export type SessionStoreOptions = { keyPrefix: string; ttlSeconds: number; maxHistoryMessages: number };

export function storedJson(message: StoredMessage): string {
  return JSON.stringify({ role: message.role, content: message.content });
}

/** What the store writes starts so; anything else under the key was not written by it. */
const HISTORY_START = storedJson({ role: "user", content: "" }).slice(0, -2);

/** The history as messages (tests, tools; the hot path splices the text). */
export function parseHistory(history: SessionHistory): StoredMessage[] {
  return history === "" ? [] : (JSON.parse(`[${history}]`) as StoredMessage[]);
}

// KEYS[1] messages, KEYS[2] index; ARGV[1] max messages, ARGV[2] TTL seconds,
// then per message: ARGV[i] role letter (u/a), ARGV[i+1] its JSON. Needs Redis 6.2 (LPOP count).
const APPEND_TURN = `
local max = tonumber(ARGV[1])
local parts, entries = {}, {}
for i = 3, #ARGV, 2 do
  parts[#parts + 1] = ARGV[i + 1]
  entries[#entries + 1] = ARGV[i] .. #ARGV[i + 1]
end
local text = table.concat(parts, ',')
local size = redis.call('STRLEN', KEYS[1])
local count = redis.call('RPUSH', KEYS[2], unpack(entries))
if (size == 0) ~= (count == #entries) then
  redis.call('DEL', KEYS[2])
  count = redis.call('RPUSH', KEYS[2], unpack(entries))
  redis.call('SET', KEYS[1], text)
elseif size == 0 then
  redis.call('SET', KEYS[1], text)
else
  redis.call('APPEND', KEYS[1], ',' .. text)
end
local bytes, dropped = 0, 0
if count > max then
  for _, entry in ipairs(redis.call('LPOP', KEYS[2], count - max)) do
    bytes = bytes + tonumber(string.sub(entry, 2)) + 1
    dropped = dropped + 1
  end
end
while dropped < count do
  local first = redis.call('LINDEX', KEYS[2], 0)
  if string.sub(first, 1, 1) == 'u' then break end
  redis.call('LPOP', KEYS[2])
  bytes = bytes + tonumber(string.sub(first, 2)) + 1
  dropped = dropped + 1
end
if dropped == count then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
if bytes > 0 then redis.call('SET', KEYS[1], redis.call('GETRANGE', KEYS[1], bytes, -1)) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2]))
return count - dropped
`;

export function createSessionStore(redis: RedisConnection, options: SessionStoreOptions): SessionStore {
  const keyOf = (sessionId: string) => `${options.keyPrefix}history:${sessionId}`;
  const appendTurn = redis.script(APPEND_TURN);
  return {
    load: (sessionId) =>
      withRedis(redis, async () => {
        const history = (await redis.call("GET", keyOf(sessionId))) as string | null;
        // Only what the script wrote is spliced into a model request.
        return history?.startsWith(HISTORY_START) ? history : "";
      }),
    appendTurn: (sessionId, messages) =>
      withRedis(redis, async () => {
        const key = keyOf(sessionId);
        await appendTurn.run(
          [key, `${key}:index`],
          [
            options.maxHistoryMessages,
            options.ttlSeconds,
            ...messages.flatMap((message) => [message.role === "user" ? "u" : "a", storedJson(message)]),
          ],
        );
      }),
  };
}
