/**
 * A small Redis client: one connection, RESP2, the handful of commands the runtime sends (GET,
 * SET, PING and Lua scripts). It replaced ioredis, whose per-command machinery cost about a tenth
 * of the runtime's CPU per request; what it keeps of it is what the runtime relies on:
 *
 * - pipelining: commands issued in the same turn of the event loop go out in one write;
 * - fail fast: while not connected, a command rejects at once (no offline queue, no replay);
 * - a hung server costs at most `commandTimeoutMs`: the connection is dropped and remade;
 * - endless reconnection with backoff (50 ms doubling to 1 s), AUTH and SELECT from the URL,
 *   TLS for `rediss://`;
 * - scripts run by EVALSHA, loaded by EVAL when the server does not know them (NOSCRIPT).
 */
import { createHash } from "node:crypto";
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { encodeCommand, RedisReplyError, RespParser, type RespValue } from "./resp-parser.ts";

export type RedisStatus = "connecting" | "ready" | "reconnecting" | "closed";

export type RedisScript = {
  run(keys: readonly string[], args: readonly (string | number)[]): Promise<RespValue>;
};

export type RedisConnection = {
  readonly status: RedisStatus;
  /** Sends one command; rejects with RedisReplyError for an error reply. */
  call(...args: (string | number)[]): Promise<RespValue>;
  script(lua: string): RedisScript;
  /** Resolves once connected (at once if already); rejects when closed first. */
  ready(): Promise<void>;
  /** Sends QUIT and waits for the server to close the connection; stops reconnecting. */
  quit(): Promise<void>;
  /** Drops the connection at once; stops reconnecting. */
  disconnect(): void;
};

export type RedisConnectionOptions = {
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  retryDelayMs?: (attempt: number) => number;
  /** For rediss://: PEM certificates to trust instead of the system's (NODE_EXTRA_CA_CERTS adds to those). */
  ca?: string;
  /** Told about each change of status, with the error that caused a lost connection. */
  onStatus?: (status: RedisStatus, lastError: string | undefined) => void;
};

export type RedisTarget = {
  host: string;
  port: number;
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
  db: number;
};

export function parseRedisUrl(url: string): RedisTarget {
  const parsed = new URL(url);
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new Error(`a Redis URL starts with redis:// or rediss://, not ${parsed.protocol}//`);
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new Error(`the database in a Redis URL is a number, not ${parsed.pathname.slice(1)}`);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: parsed.port ? Number(parsed.port) : 6379,
    tls: parsed.protocol === "rediss:",
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db,
  };
}

type Pending = { resolve: (value: RespValue) => void; reject: (error: Error) => void; sentAt: number };

export function createRedisConnection(url: string, options: RedisConnectionOptions = {}): RedisConnection {
  const target = parseRedisUrl(url);
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  const retryDelayMs = options.retryDelayMs ?? ((attempt: number) => Math.min(50 * 2 ** attempt, 1000));

  let status: RedisStatus = "connecting";
  let socket: Socket | undefined;
  let pending: Pending[] = [];
  let head = 0;
  let queued: string[] = [];
  let flushScheduled = false;
  let attempt = 0;
  let stopped = false;
  let lastError: string | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;

  let waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  const setStatus = (next: RedisStatus) => {
    if (next === status) return;
    status = next;
    if (next === "ready" || next === "closed") {
      const settled = waiters;
      waiters = [];
      for (const waiter of settled) {
        if (next === "ready") waiter.resolve();
        else waiter.reject(new Error("redis connection closed"));
      }
    }
    options.onStatus?.(next, lastError);
  };

  const failAll = (error: Error) => {
    const failed = pending.slice(head);
    pending = [];
    head = 0;
    queued = [];
    for (const entry of failed) entry.reject(error);
  };

  // One timer checks the oldest command: replies come in order, so it is the one late first.
  const watchdog = setInterval(
    () => {
      const oldest = pending[head];
      if (oldest && socket && performance.now() - oldest.sentAt > commandTimeoutMs) {
        socket.destroy(new Error(`redis did not answer within ${commandTimeoutMs} ms`));
      }
    },
    Math.max(10, Math.min(100, commandTimeoutMs / 4)),
  );
  watchdog.unref();

  const flush = () => {
    flushScheduled = false;
    if (queued.length === 0 || !socket) return;
    socket.write(queued.length === 1 ? (queued[0] as string) : queued.join(""));
    queued = [];
  };

  /** Queues a command on the current connection, whatever its status (the handshake uses it). */
  const send = (args: readonly (string | number)[]): Promise<RespValue> =>
    new Promise((resolve, reject) => {
      pending.push({ resolve, reject, sentAt: performance.now() });
      queued.push(encodeCommand(args));
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });

  const onReplies = (replies: RespValue[]) => {
    for (const reply of replies) {
      const entry = pending[head];
      if (!entry) {
        socket?.destroy(new Error("redis sent a reply nobody asked for"));
        return;
      }
      pending[head++] = undefined as unknown as Pending;
      if (head === pending.length) {
        pending = [];
        head = 0;
      } else if (head > 1024 && head * 2 > pending.length) {
        pending = pending.slice(head);
        head = 0;
      }
      if (reply instanceof RedisReplyError) entry.reject(reply);
      else entry.resolve(reply);
    }
  };

  const handshake = async () => {
    if (target.password !== undefined) {
      await send(target.username ? ["AUTH", target.username, target.password] : ["AUTH", target.password]);
    }
    if (target.db !== 0) await send(["SELECT", target.db]);
  };

  const connect = () => {
    reconnectTimer = undefined;
    if (stopped) return;
    const parser = new RespParser();
    const opened = target.tls
      ? connectTls({
          host: target.host,
          port: target.port,
          servername: isIP(target.host) ? undefined : target.host,
          ...(options.ca ? { ca: options.ca } : {}),
        })
      : connectTcp({ host: target.host, port: target.port });
    socket = opened;
    opened.setNoDelay(true);
    opened.setTimeout(connectTimeoutMs, () =>
      opened.destroy(new Error(`could not connect within ${connectTimeoutMs} ms`)),
    );
    opened.once(target.tls ? "secureConnect" : "connect", () => {
      handshake().then(
        () => {
          opened.setTimeout(0);
          attempt = 0;
          lastError = undefined;
          setStatus("ready");
        },
        (error: Error) => opened.destroy(error),
      );
    });
    opened.on("data", (chunk: Buffer) => {
      let replies: RespValue[];
      try {
        replies = parser.feed(chunk);
      } catch (error) {
        opened.destroy(error as Error);
        return;
      }
      onReplies(replies);
    });
    opened.on("error", (error) => {
      lastError = error.message;
    });
    opened.once("close", () => {
      if (socket === opened) socket = undefined;
      failAll(new Error(`redis connection closed${lastError ? `: ${lastError}` : ""}`));
      if (stopped) return setStatus("closed");
      setStatus("reconnecting");
      reconnectTimer = setTimeout(connect, retryDelayMs(attempt++));
    });
  };

  const stop = () => {
    stopped = true;
    clearInterval(watchdog);
    clearTimeout(reconnectTimer);
  };

  const call = (...args: (string | number)[]): Promise<RespValue> =>
    status === "ready" ? send(args) : Promise.reject(new Error(`redis is ${status}`));

  connect();

  return {
    get status() {
      return status;
    },

    call,

    ready() {
      if (status === "ready") return Promise.resolve();
      if (status === "closed") return Promise.reject(new Error("redis connection closed"));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },

    script(lua) {
      const sha = createHash("sha1").update(lua).digest("hex");
      return {
        run: async (keys, args) => {
          try {
            return await call("EVALSHA", sha, keys.length, ...keys, ...args);
          } catch (error) {
            if (!(error instanceof RedisReplyError) || !error.message.startsWith("NOSCRIPT")) throw error;
            return call("EVAL", lua, keys.length, ...keys, ...args);
          }
        },
      };
    },

    async quit() {
      stop();
      const open = socket;
      if (!open) return setStatus("closed");
      const closed = new Promise<void>((resolve) => open.once("close", () => resolve()));
      if (status === "ready") {
        const timer = setTimeout(() => open.destroy(), 1000);
        await send(["QUIT"]).catch(() => {});
        open.end();
        await closed;
        clearTimeout(timer);
      } else {
        open.destroy();
        await closed;
      }
    },

    disconnect() {
      stop();
      socket?.destroy();
      if (!socket) setStatus("closed");
    },
  };
}
