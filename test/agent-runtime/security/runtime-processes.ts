/**
 * Shared set-up of the security suites: the real runtime (`node agent-runtime/server.ts`) as a
 * child process, against a real redis-server and the stub model endpoint on loopback, and small
 * tools to look at it from outside: raw HTTP exchanges, its resident memory, its own log lines.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, fetch, type Response } from "undici";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type RedisServerHandle, startRedisServer } from "../../support/redis-server.ts";
import { type RuntimeProcess, startRuntimeProcess } from "../../support/runtime-process.ts";
import { type StubModelServer, startStubModelServer } from "../../support/stub-model-server.ts";
import { waitUntil } from "../test-runtime.ts";

export type RuntimeProcesses = {
  readonly redis: RedisServerHandle;
  readonly stub: StubModelServer;
  /** A runtime on the stub and Redis with `env` on top, ready (/readyz 200); killed after the file. */
  start(env?: Record<string, string>): Promise<RuntimeProcess>;
};

/** Call inside a describe: Redis and the stub start once for it, the stub is reset before each test. */
export function useRuntimeProcesses(): RuntimeProcesses {
  let redis: RedisServerHandle | undefined;
  let stub: StubModelServer | undefined;
  const processes: RuntimeProcess[] = [];

  beforeAll(async () => {
    [redis, stub] = await Promise.all([startRedisServer(), startStubModelServer()]);
  });
  afterAll(async () => {
    await Promise.all(
      processes.splice(0).map(async (runtime) => {
        runtime.child.kill("SIGKILL");
        await runtime.exited;
      }),
    );
    await stub?.close();
    await redis?.stop();
  });
  beforeEach(() => stub?.reset());

  const started = <T>(part: T | undefined, name: string): T => {
    if (part === undefined) throw new Error(`${name} runs only inside tests and hooks`);
    return part;
  };
  return {
    get redis() {
      return started(redis, "redis-server");
    },
    get stub() {
      return started(stub, "the stub model server");
    },
    async start(env = {}) {
      const runtime = await startRuntimeProcess({
        AGENTRY_MODEL: "test-model",
        AGENTRY_PROVIDER_BASE_URL: started(stub, "the stub model server").url,
        AGENTRY_PROVIDER_MAX_RETRIES: "0",
        AGENTRY_REDIS_URL: started(redis, "redis-server").url,
        AGENTRY_REDIS_KEY_PREFIX: `security:${randomUUID()}:`,
        ...env,
      });
      processes.push(runtime);
      await waitUntil(async () => (await fetch(`${runtime.url}/readyz`)).status === 200, 5000);
      return runtime;
    },
  };
}

export type JsonAnswer = { status: number; headers: Response["headers"]; text: string; json: () => JsonBody };
export type JsonBody = {
  error?: { code?: string; message?: string; type?: string; requestId?: string };
  [field: string]: unknown;
};

/** One connection pool per local address: loopback is all of 127.0.0.0/8, so each is a client of its own. */
const fromAddress = new Map<string, Agent>();

/**
 * POSTs a JSON body (an object, or text sent as is) and reads the whole answer; `from` is the local
 * address to connect from (default 127.0.0.1), the client address the runtime sees.
 */
export async function postJson(
  url: string,
  body: object | string,
  headers: Record<string, string> = {},
  options: { from?: string } = {},
): Promise<JsonAnswer> {
  const from = options.from ?? "127.0.0.1";
  let dispatcher = fromAddress.get(from);
  if (!dispatcher) {
    dispatcher = new Agent({ localAddress: from });
    fromAddress.set(from, dispatcher);
  }
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    dispatcher,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

/** Resident memory of a process, from /proc/<pid>/status, in bytes. */
export function residentBytes(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!line?.[1]) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) * 1024;
}

/** Waits until the runtime has written a log line matching `match` (lines are flushed in batches). */
export async function logLine(
  runtime: RuntimeProcess,
  match: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  await waitUntil(() => runtime.logs.some(match), 3000);
  return runtime.logs.find(match) as Record<string, unknown>;
}

export type LoopbackServer = { url: string; close(): Promise<void> };

/** A node:http server on a free loopback port (a tool, a JWKS, a redirect target). */
export async function listenOnLoopback(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<LoopbackServer> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
