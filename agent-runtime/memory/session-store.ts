/**
 * Conversation memory in Redis: one list per session, one JSON message per element.
 *
 * A turn appends its user message and the answer in one atomic script (RPUSH + LTRIM + EXPIRE),
 * so two concurrent turns on the same session both land, each pair adjacent, and no
 * read-modify-write can drop the other's turn.
 *
 * Loading keeps each message as its stored JSON text, so a turn sends history to the model
 * without parsing it: an element this store wrote (`{"role":…,"content":…}` from
 * JSON.stringify) is recognised by its shape; anything else is parsed, and skipped if it is not
 * a message.
 */
import type { Redis } from "ioredis";
import { withRedis } from "../redis/redis-client.ts";

export type StoredMessage = { role: "user" | "assistant"; content: string };

/** A message as loaded: its role and its JSON text, `{"role":…,"content":…}`. */
export type HistoryMessage = { role: StoredMessage["role"]; json: string };

export type SessionStore = {
  load(sessionId: string): Promise<HistoryMessage[]>;
  appendTurn(sessionId: string, messages: StoredMessage[]): Promise<void>;
};

export type SessionStoreOptions = { keyPrefix: string; ttlSeconds: number; maxHistoryMessages: number };

/**
 * Trimming by message count can cut a turn in half; a history that starts with an answer whose
 * question is gone confuses models, so drop leading assistant messages.
 */
export function startAtUserMessage<Message extends { role: string }>(messages: Message[]): Message[] {
  const first = messages.findIndex((message) => message.role === "user");
  if (first === -1) return [];
  return first === 0 ? messages : messages.slice(first);
}

export function storedJson(message: StoredMessage): string {
  return JSON.stringify({ role: message.role, content: message.content });
}

const USER_PREFIX = storedJson({ role: "user", content: "" }).slice(0, -2);
const ASSISTANT_PREFIX = storedJson({ role: "assistant", content: "" }).slice(0, -2);

function parseStored(raw: string): StoredMessage | undefined {
  try {
    const value = JSON.parse(raw) as Partial<StoredMessage>;
    if ((value.role === "user" || value.role === "assistant") && typeof value.content === "string") {
      return { role: value.role, content: value.content };
    }
  } catch {
    // A corrupt element is skipped rather than failing the whole conversation.
  }
  return undefined;
}

/** One list element as a history message, or undefined when it is not a message. */
export function historyMessageOf(raw: string): HistoryMessage | undefined {
  if (raw.endsWith('"}')) {
    if (raw.startsWith(USER_PREFIX)) return { role: "user", json: raw };
    if (raw.startsWith(ASSISTANT_PREFIX)) return { role: "assistant", json: raw };
  }
  const parsed = parseStored(raw);
  return parsed && { role: parsed.role, json: storedJson(parsed) };
}

// KEYS[1] session list; ARGV[1] max messages, ARGV[2] TTL seconds, ARGV[3..] JSON messages.
const APPEND_TURN = `
redis.call('RPUSH', KEYS[1], unpack(ARGV, 3))
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;

type AppendTurnCommand = (key: string, max: number, ttl: number, ...messages: string[]) => Promise<number>;

export function createSessionStore(redis: Redis, options: SessionStoreOptions): SessionStore {
  const keyOf = (sessionId: string) => `${options.keyPrefix}session:${sessionId}`;
  redis.defineCommand("agentryAppendTurn", { numberOfKeys: 1, lua: APPEND_TURN });
  const appendTurn = (redis as unknown as { agentryAppendTurn: AppendTurnCommand }).agentryAppendTurn;
  return {
    load: (sessionId) =>
      withRedis(redis, async () => {
        const raw = await redis.lrange(keyOf(sessionId), -options.maxHistoryMessages, -1);
        const messages: HistoryMessage[] = [];
        for (const element of raw) {
          const message = historyMessageOf(element);
          if (message) messages.push(message);
        }
        return startAtUserMessage(messages);
      }),
    appendTurn: (sessionId, messages) =>
      withRedis(redis, async () => {
        await appendTurn.call(
          redis,
          keyOf(sessionId),
          options.maxHistoryMessages,
          options.ttlSeconds,
          ...messages.map(storedJson),
        );
      }),
  };
}
