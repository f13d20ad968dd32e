/**
 * Conversation memory in Redis, kept in the shape the model request needs it in.
 *
 * A session belongs to the principal that opened it: its keys are built from the principal's id
 * and the session id (see `sessionKeysOf`), so another caller sending the same session id gets a
 * new, empty session, never someone else's history. Per session, two keys with the same TTL:
 * - `…session:{OWNER:ID}:history` a string: every message's JSON (`{"role":…,"content":…}`),
 *   comma-separated, oldest first, always starting with a user message;
 * - `…session:{OWNER:ID}:index` a list: one entry per message, its role letter and byte length.
 * The part in braces is a Redis Cluster hash tag, so both keys live in one slot and the script
 * below may touch both. Keys of an older layout (`…history:ID`) are left to expire.
 *
 * Loading is one GET whose answer is spliced into the model request as is: no message is parsed
 * or re-serialized on the hot path (docs/benchmarks.md has what that saves).
 *
 * A turn appends its user message and the answer in one atomic script, so two concurrent turns
 * on the same session both land, each pair adjacent, and no read-modify-write can drop the
 * other's turn. The script trims to the newest `maxHistoryMessages` messages and `maxHistoryBytes`
 * bytes (a message's content is stored cut to `maxMessageBytes`), and then drops any answer
 * left without its question (a history that starts with an answer confuses models). If one key
 * was lost without the other (eviction), the script starts the session afresh rather than
 * serving a history whose index no longer matches. With `durableWrites`, the write is confirmed by
 * that many replicas (WAIT) before the turn is answered, so a failover cannot lose it.
 */
import type { Principal } from "../auth/principal.ts";
import { COMMAND_TIMEOUT_MS, type RedisClient, withRedis } from "../redis/redis-client.ts";
import { defineScript } from "../redis/redis-script.ts";

export type StoredMessage = { role: "user" | "assistant"; content: string };

/**
 * A session's messages as comma-separated JSON objects, oldest first, starting with a user
 * message; "" for a new session. `[${history}]` is a JSON array of StoredMessage.
 */
export type SessionHistory = string;

/** Who owns a session: the authenticated principal, or nobody in particular without auth. */
export type SessionOwner = Principal | null | undefined;

export type SessionStore = {
  load(owner: SessionOwner, sessionId: string): Promise<SessionHistory>;
  appendTurn(owner: SessionOwner, sessionId: string, messages: StoredMessage[]): Promise<void>;
};

export type SessionStoreOptions = {
  keyPrefix: string;
  ttlSeconds: number;
  maxHistoryMessages: number;
  /** Bytes of history kept per session (its stored JSON); older messages are trimmed. */
  maxHistoryBytes: number;
  /** A message's content is stored cut to this many bytes. */
  maxMessageBytes: number;
  /**
   * Replicas that must confirm a turn's write (WAIT) before it counts as saved, and the connection
   * that writes and waits. WAIT blocks its connection until the replicas answer, so it gets one of
   * its own: reads, rate limits and probes never queue behind it.
   */
  durableWrites?: { replicas: number; redis: RedisClient };
};

/** The owner part of an anonymous session's keys (auth mode none: every caller is anonymous). */
export const ANONYMOUS_OWNER = "anonymous";

/**
 * The two keys of one session. Owner and id are URI-encoded, so neither can contain the `:`
 * between them or the braces around them: no (owner, id) pair can name another pair's keys, and
 * the fixed suffixes after the hash tag cannot be forged by choosing an id such as `abc:index`.
 */
export function sessionKeysOf(
  keyPrefix: string,
  owner: SessionOwner,
  sessionId: string,
): { history: string; index: string } {
  const tag = `{${encodeURIComponent(owner?.id ?? ANONYMOUS_OWNER)}:${encodeURIComponent(sessionId)}}`;
  return { history: `${keyPrefix}session:${tag}:history`, index: `${keyPrefix}session:${tag}:index` };
}

/** How long WAIT may take; below the command timeout, so a missing replica is a clear refusal. */
const WAIT_TIMEOUT_MS = Math.floor(COMMAND_TIMEOUT_MS / 2);

export function storedJson(message: StoredMessage): string {
  return JSON.stringify({ role: message.role, content: message.content });
}

/** What the store writes starts so; anything else under the key was not written by it. */
const HISTORY_START = storedJson({ role: "user", content: "" }).slice(0, -2);

/** The history as messages (tests, tools; the hot path splices the text). */
export function parseHistory(history: SessionHistory): StoredMessage[] {
  return history === "" ? [] : (JSON.parse(`[${history}]`) as StoredMessage[]);
}

// KEYS[1] messages, KEYS[2] index; ARGV[1] max messages, ARGV[2] TTL seconds, ARGV[3] max bytes,
// then per message: ARGV[i] role letter (u/a), ARGV[i+1] its JSON.
const APPEND_TURN = `
local max = tonumber(ARGV[1])
local max_bytes = tonumber(ARGV[3])
local parts, entries = {}, {}
for i = 4, #ARGV, 2 do
  parts[#parts + 1] = ARGV[i + 1]
  entries[#entries + 1] = ARGV[i] .. #ARGV[i + 1]
end
local text = table.concat(parts, ',')
local size = redis.call('STRLEN', KEYS[1])
local count = redis.call('RPUSH', KEYS[2], unpack(entries))
local total
if (size == 0) ~= (count == #entries) then
  redis.call('DEL', KEYS[2])
  count = redis.call('RPUSH', KEYS[2], unpack(entries))
  redis.call('SET', KEYS[1], text)
  total = #text
elseif size == 0 then
  redis.call('SET', KEYS[1], text)
  total = #text
else
  total = redis.call('APPEND', KEYS[1], ',' .. text)
end
-- Each dropped entry takes its bytes and the comma after it off the front of the history.
local bytes, dropped = 0, 0
while dropped < count and (count - dropped > max or total - bytes > max_bytes) do
  local entry = redis.call('LPOP', KEYS[2])
  bytes = bytes + tonumber(string.sub(entry, 2)) + 1
  dropped = dropped + 1
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

/** The content cut to at most `maxBytes` of UTF-8 (a character split at the cut is dropped). */
export function truncateContent(content: string, maxBytes: number): string {
  const bytes = Buffer.from(content);
  if (bytes.length <= maxBytes) return content;
  return new TextDecoder("utf-8", { fatal: false })
    .decode(bytes.subarray(0, maxBytes))
    .replace(/\uFFFD$/, "");
}

export function createSessionStore(redis: RedisClient, options: SessionStoreOptions): SessionStore {
  const keysOf = (owner: SessionOwner, sessionId: string) =>
    sessionKeysOf(options.keyPrefix, owner, sessionId);
  const durable = options.durableWrites;
  const writer = durable?.redis ?? redis;
  const appendTurn = defineScript(writer, "agentryAppendTurn", 2, APPEND_TURN);
  return {
    load: (owner, sessionId) =>
      withRedis(redis, async () => {
        const history = await redis.get(keysOf(owner, sessionId).history);
        // Only what the script wrote is spliced into a model request.
        return history?.startsWith(HISTORY_START) ? history : "";
      }),
    appendTurn: (owner, sessionId, messages) =>
      withRedis(writer, async () => {
        const keys = keysOf(owner, sessionId);
        const args = [
          options.maxHistoryMessages,
          options.ttlSeconds,
          options.maxHistoryBytes,
          ...messages.flatMap((message) => [
            message.role === "user" ? "u" : "a",
            storedJson({ ...message, content: truncateContent(message.content, options.maxMessageBytes) }),
          ]),
        ];
        if (!durable) {
          await appendTurn.run([keys.history, keys.index], args);
          return;
        }
        // One pipeline, so WAIT goes to the server that took the write (in a Cluster, the key's node).
        const pipeline = writer.pipeline();
        appendTurn.queue(pipeline, [keys.history, keys.index], args);
        pipeline.call("WAIT", durable.replicas, WAIT_TIMEOUT_MS);
        const results = (await pipeline.exec()) ?? [];
        const failed = results.find(([error]) => error);
        if (failed?.[0]) throw failed[0];
        const acknowledged = Number(results[1]?.[1] ?? 0);
        if (acknowledged < durable.replicas) {
          throw new Error(
            `the turn reached ${acknowledged} of ${durable.replicas} replicas within ${WAIT_TIMEOUT_MS} ms`,
          );
        }
      }),
  };
}
