/**
 * Shared set-up for runtime suites: the real app (buildApp + createDeps) against the stub model
 * endpoint and, when given, a real Redis; log lines are captured for assertions.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { type App, buildApp } from "../../agent-runtime/app.ts";
import { parseRuntimeConfig } from "../../agent-runtime/config/parse-runtime-config.ts";
import { createDeps, type Runtime } from "../../agent-runtime/create-deps.ts";
import type { AppDeps } from "../../agent-runtime/deps.ts";
import { RuntimeError } from "../../agent-runtime/errors.ts";
import { createLogger } from "../../agent-runtime/observability/logger.ts";
import { type StubModelServer, startStubModelServer } from "../support/stub-model-server.ts";
import { waitFor } from "../support/wait-for.ts";

export type TestRuntime = {
  app: App;
  deps: AppDeps;
  runtime: Runtime;
  logs: Record<string, unknown>[];
  /** Listens on a free loopback port, for tests that need a real socket. */
  listen(): Promise<string>;
  close(): Promise<void>;
};

export async function startTestRuntime(env: Record<string, string>): Promise<TestRuntime> {
  const config = parseRuntimeConfig({
    AGENTRY_MODEL: "test-model",
    AGENTRY_REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
    AGENTRY_REVISION: "rev-test",
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger(
    { level: config.log.level, revision: config.revision },
    { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const runtime = createDeps(config, { logger, processMetrics: false });
  const app = buildApp(runtime.deps);
  await app.ready();
  // As a Service would: ready once start-up is over (Redis connected, or its first attempt failed).
  await waitFor(
    "the runtime to be ready",
    async () => (await runtime.deps.readiness()).ready,
    5000,
    undefined,
    10,
  );
  return {
    app,
    deps: runtime.deps,
    runtime,
    logs,
    listen: async () => {
      await app.listen({ host: "127.0.0.1", port: 0 });
      const address = app.server.address();
      return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    },
    close: async () => {
      await app.close();
      await runtime.close();
    },
  };
}

export function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  return waitFor("a condition", condition, timeoutMs, undefined, 20);
}

/** Reads one metric sample from the Prometheus text, e.g. sample(text, 'agentry_requests_total{route="/v1/chat",status="200"'). */
export function metricValue(text: string, prefix: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(prefix));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

/**
 * A stub model server for the test file and a `runtime(env)` factory pointed at it; runtimes are
 * closed after each test and the stub is reset before each.
 */
export function useStubbedRuntimes(baseEnv: Record<string, string> = {}) {
  let stub: StubModelServer | undefined;
  const running: TestRuntime[] = [];
  beforeAll(async () => {
    stub = await startStubModelServer();
  });
  afterAll(() => stub?.close());
  beforeEach(() => stub?.reset());
  afterEach(async () => {
    await Promise.all(running.splice(0).map((entry) => entry.close()));
  });
  const current = () => {
    if (!stub) throw new Error("the stub model server runs only inside tests and hooks");
    return stub;
  };
  return {
    get stub(): StubModelServer {
      return current();
    },
    runtime: async (env: Record<string, string> = {}): Promise<TestRuntime> => {
      const started = await startTestRuntime({
        AGENTRY_PROVIDER_BASE_URL: current().url,
        AGENTRY_PROVIDER_MAX_RETRIES: "0",
        ...baseEnv,
        ...env,
      });
      running.push(started);
      return started;
    },
  };
}

/** The typed error `promise` rejects with; fails the test if it resolves or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<RuntimeError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  return error as RuntimeError;
}
