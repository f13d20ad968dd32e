import { readFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRedisConnection,
  parseRedisUrl,
  type RedisConnection,
  type RedisStatus,
} from "../../../agent-runtime/redis/redis-connection.ts";
import { RedisReplyError } from "../../../agent-runtime/redis/resp-parser.ts";
import { freeLoopbackPort } from "../../../agent-runtime/testing/free-ports.ts";
import { generatePki } from "../../support/cluster-pki.ts";
import {
  type RedisServerHandle,
  redisServerAvailable,
  startRedisServer,
} from "../../support/redis-server.ts";

describe("parseRedisUrl", () => {
  it("reads host, port, TLS, credentials and database", () => {
    expect(parseRedisUrl("redis://127.0.0.1")).toEqual({
      host: "127.0.0.1",
      port: 6379,
      tls: false,
      username: undefined,
      password: undefined,
      db: 0,
    });
    expect(parseRedisUrl("rediss://agent:p%40ss%3Aword@redis.example:6380/3")).toEqual({
      host: "redis.example",
      port: 6380,
      tls: true,
      username: "agent",
      password: "p@ss:word",
      db: 3,
    });
    expect(parseRedisUrl("redis://:secret@[::1]:7000").password).toBe("secret");
    expect(parseRedisUrl("redis://[::1]:7000").host).toBe("::1");
  });

  it("refuses other schemes and a database that is not a number", () => {
    expect(() => parseRedisUrl("http://127.0.0.1")).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => parseRedisUrl("redis://127.0.0.1/x")).toThrow(/database/);
  });
});

const available = redisServerAvailable("redis connection (redis/redis-connection)");

describe.skipIf(!available)("redis connection on a real Redis", () => {
  let server: RedisServerHandle;
  const opened: RedisConnection[] = [];
  const open = async (url = server.url, options = {}) => {
    const connection = createRedisConnection(url, options);
    opened.push(connection);
    await connection.ready();
    return connection;
  };

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const connection of opened) connection.disconnect();
    await server?.stop();
  });

  it("answers commands in order, pipelining those sent together into few writes", async () => {
    const redis = await open();
    const stats = async () => {
      const info = (await redis.call("INFO", "stats")) as string;
      return Number(/total_reads_processed:(\d+)/.exec(info)?.[1]);
    };
    const before = await stats();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        redis.call("SET", `k${i}`, `v${i}`).then(() => redis.call("GET", `k${i}`)),
      ),
    );
    expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
    // 400 commands and an INFO; sent one by one they would take 401 reads of the server.
    expect((await stats()) - before).toBeLessThan(20);
  });

  it("rejects an error reply with RedisReplyError and keeps the connection", async () => {
    const redis = await open();
    await redis.call("SET", "text", "x");
    await expect(redis.call("LPUSH", "text", "y")).rejects.toThrow(RedisReplyError);
    await expect(redis.call("GET", "text")).resolves.toBe("x");
  });

  it("runs scripts by hash and loads them again after the server forgot them", async () => {
    const redis = await open();
    const script = redis.script("return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}");
    expect(await script.run(["key"], ["arg", 41])).toEqual(["key", "arg", 42]);
    await redis.call("SCRIPT", "FLUSH");
    expect(await script.run(["key"], ["again", 1])).toEqual(["key", "again", 2]);
  });

  it("fails fast while Redis is down and reconnects by itself when it is back", async () => {
    const own = await startRedisServer();
    const statuses: RedisStatus[] = [];
    const redis = await open(own.url, { onStatus: (status: RedisStatus) => statuses.push(status) });
    await own.kill();
    await expect.poll(() => redis.status).toBe("reconnecting");
    const started = performance.now();
    await expect(redis.call("PING")).rejects.toThrow(/redis is reconnecting/);
    expect(performance.now() - started).toBeLessThan(50);
    await own.restart();
    await redis.ready();
    expect(await redis.call("PING")).toBe("PONG");
    expect(statuses).toEqual(["ready", "reconnecting", "ready"]);
    redis.disconnect();
    await own.stop();
  });

  it("authenticates and selects the database given in the URL", async () => {
    const guarded = await startRedisServer({ extraArgs: ["--requirepass", "s3cret"] });
    try {
      const errors: (string | undefined)[] = [];
      const refused = createRedisConnection(guarded.url.replace("redis://", "redis://:wrong@"), {
        retryDelayMs: () => 60_000,
        onStatus: (_status: RedisStatus, lastError: string | undefined) => errors.push(lastError),
      });
      await expect.poll(() => refused.status).toBe("reconnecting");
      expect(errors).toEqual([expect.stringMatching(/WRONGPASS/)]);
      refused.disconnect();
      const redis = await open(guarded.url.replace("redis://", "redis://:s3cret@").concat("/2"));
      await redis.call("SET", "where", "db2");
      const inspector = new Redis(`${guarded.url}/2`, { password: "s3cret" });
      expect(await inspector.get("where")).toBe("db2");
      inspector.disconnect();
      redis.disconnect();
    } finally {
      await guarded.stop();
    }
  });

  it("speaks TLS for rediss:// and checks the server's certificate", async () => {
    const pki = await generatePki(path.join(tmpdir(), `agentry-redis-tls-${process.pid}`));
    const tlsPort = await freeLoopbackPort();
    const secured = await startRedisServer({
      extraArgs: [
        "--tls-port",
        String(tlsPort),
        "--tls-cert-file",
        pki.apiserver.cert,
        "--tls-key-file",
        pki.apiserver.key,
        "--tls-ca-cert-file",
        pki.ca.cert,
        "--tls-auth-clients",
        "no",
      ],
    });
    try {
      const url = `rediss://localhost:${tlsPort}`;
      const redis = await open(url, { ca: await readFile(pki.ca.cert, "utf8") });
      expect(await redis.call("PING")).toBe("PONG");
      redis.disconnect();
      const errors: (string | undefined)[] = [];
      const untrusted = createRedisConnection(url, {
        retryDelayMs: () => 60_000,
        onStatus: (_status: RedisStatus, lastError: string | undefined) => errors.push(lastError),
      });
      await expect.poll(() => untrusted.status).toBe("reconnecting");
      expect(errors).toEqual([expect.stringMatching(/certificate/)]);
      untrusted.disconnect();
    } finally {
      await secured.stop();
    }
  });

  it("quits cleanly: status closed, later commands refused", async () => {
    const redis = createRedisConnection(server.url);
    await redis.ready();
    await redis.quit();
    expect(redis.status).toBe("closed");
    await expect(redis.call("PING")).rejects.toThrow(/redis is closed/);
    await expect(redis.ready()).rejects.toThrow(/closed/);
  });
});

describe("redis connection to a server that stops answering", () => {
  let hung: Server;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    port = await freeLoopbackPort();
    // Says it is Redis (answers the first PING of the test), then answers nothing.
    hung = createServer((socket) => {
      sockets.push(socket);
      socket.once("data", () => socket.write("+PONG\r\n"));
    });
    await new Promise<void>((resolve) => hung.listen(port, "127.0.0.1", resolve));
  });
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    hung.close();
  });

  it("drops the connection after the command timeout and makes a new one", async () => {
    const redis = createRedisConnection(`redis://127.0.0.1:${port}`, { commandTimeoutMs: 200 });
    await redis.ready();
    expect(await redis.call("PING")).toBe("PONG");
    const started = performance.now();
    await expect(redis.call("GET", "k")).rejects.toThrow(/did not answer within 200 ms/);
    expect(performance.now() - started).toBeLessThan(1000);
    await redis.ready();
    expect(sockets.length).toBe(2);
    redis.disconnect();
  });
});
