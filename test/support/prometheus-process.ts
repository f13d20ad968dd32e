// A real Prometheus on loopback (Debian's `prometheus` package), scraping the targets a test
// gives it every second, and promtool from the same package.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { freeLoopbackPort } from "../../agent-runtime/testing/free-ports.ts";
import { waitFor } from "../../agent-runtime/testing/wait-for.ts";
import { findExecutable } from "./redis-server.ts";
import { requireRealPart } from "./require-real-part.ts";

export function prometheusAvailable(suite: string): boolean {
  return requireRealPart(
    "prometheus and promtool",
    findExecutable("prometheus") !== undefined && findExecutable("promtool") !== undefined,
    "apt-get install prometheus",
    suite,
  );
}

export interface ScrapeJob {
  job: string;
  /** host:port of a /metrics endpoint. */
  target: string;
}

export interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

export interface PrometheusProcess {
  readonly url: string;
  /** An instant query through the HTTP API, answered as Prometheus sends it (errors included). */
  query(expr: string): Promise<QueryResult>;
  stop(): Promise<void>;
}

export async function startPrometheus(jobs: ScrapeJob[]): Promise<PrometheusProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), "prometheus-"));
  const config = path.join(dir, "prometheus.yml");
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      scrape_configs: jobs.map(({ job, target }) => ({
        job_name: job,
        static_configs: [{ targets: [target] }],
      })),
    }),
  );
  const port = await freeLoopbackPort();
  const child: ChildProcess = spawn(
    findExecutable("prometheus") ?? "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      "prometheus to be ready",
      async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true,
      30_000,
      () => stderr.join("").slice(-2000),
    );
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    url,
    query: async (expr) => {
      const response = await fetch(`${url}/api/v1/query`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: expr }),
      });
      return (await response.json()) as QueryResult;
    },
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
