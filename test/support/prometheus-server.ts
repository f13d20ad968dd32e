/**
 * Starts a throwaway Prometheus for a test suite: loopback only, a free port, storage in a
 * temporary directory, a short scrape interval, static scrape targets (standing in for what
 * Kubernetes service discovery finds, with the labels its relabelling adds, such as `namespace`).
 * Optionally serves HTTPS (`tls`), so clients' CA handling meets a real server.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { freeLoopbackPort } from "./free-ports.ts";
import { findPrometheusBinary, PROMETHEUS_HOW_TO_BUILD } from "./prometheus-binaries.ts";
import { requireRealPart } from "./require-real-part.ts";
import { waitFor } from "./wait-for.ts";

/** The prometheus binary the project built, or AGENTRY_PROMETHEUS when set. */
export function findPrometheus(): string | undefined {
  return findPrometheusBinary("prometheus");
}

/** True when the suite can run; skips loudly (or throws under AGENTRY_REQUIRE_REAL_PARTS=1). */
export function prometheusAvailable(suite: string): boolean {
  return requireRealPart("prometheus", findPrometheus() !== undefined, PROMETHEUS_HOW_TO_BUILD, suite);
}

export type ScrapeJob = {
  job: string;
  /** host:port of each target; scraped at /metrics over plain HTTP. */
  targets: string[];
  /** Labels added to every series of these targets (as relabelling would). */
  labels?: Record<string, string>;
};

export type PrometheusServerOptions = {
  jobs: ScrapeJob[];
  /**
   * One more job, `discovered`, whose targets come from a file (file_sd) that `setDiscovered`
   * rewrites while Prometheus runs: targets that appear later, as new pods do.
   */
  discovered?: boolean;
  scrapeIntervalSeconds?: number;
  /** Serve the HTTP API over TLS with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
};

export type PrometheusServerHandle = {
  /** Base URL of the HTTP API, http:// or https://127.0.0.1:port. */
  url: string;
  port: number;
  /** Replaces the targets of the `discovered` job (Prometheus notices the file change). */
  setDiscovered(jobs: Array<Omit<ScrapeJob, "job">>): void;
  /** The last lines Prometheus logged, for failure messages. */
  log(): string;
  stop(): Promise<void>;
};

export async function startPrometheusServer(
  options: PrometheusServerOptions,
): Promise<PrometheusServerHandle> {
  const binary = findPrometheus();
  if (!binary) throw new Error(`prometheus has not been built (${PROMETHEUS_HOW_TO_BUILD})`);
  const port = await freeLoopbackPort();
  const dir = mkdtempSync(join(tmpdir(), "agentry-prometheus-"));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  writeFileSync(
    join(dir, "prometheus.yml"),
    stringify({
      global: { scrape_interval: interval, evaluation_interval: interval },
      scrape_configs: [
        ...options.jobs.map((job) => ({
          job_name: job.job,
          static_configs: [{ targets: job.targets, labels: job.labels ?? {} }],
        })),
        ...(options.discovered
          ? [{ job_name: "discovered", file_sd_configs: [{ files: [join(dir, "discovered.json")] }] }]
          : []),
      ],
    }),
  );
  const setDiscovered = (groups: Array<Omit<ScrapeJob, "job">>) => {
    // Written aside and renamed, so Prometheus never reads half a file.
    const file = join(dir, "discovered.json");
    writeFileSync(
      `${file}.tmp`,
      JSON.stringify(groups.map((group) => ({ targets: group.targets, labels: group.labels ?? {} }))),
    );
    renameSync(`${file}.tmp`, file);
  };
  if (options.discovered) setDiscovered([]);
  const args = [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=info",
  ];
  if (options.tls) {
    writeFileSync(
      join(dir, "web.yml"),
      stringify({ tls_server_config: { cert_file: options.tls.certFile, key_file: options.tls.keyFile } }),
    );
    args.push(`--web.config.file=${join(dir, "web.yml")}`);
  }

  let output = "";
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const log = () => output.split("\n").slice(-30).join("\n");

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      `prometheus on port ${port}`,
      () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}\n${log()}`);
        return output.includes("Server is ready to receive web requests.");
      },
      15_000,
      log,
      50,
    );
  } catch (error) {
    child.kill("SIGKILL");
    await stop();
    throw error;
  }
  return { url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`, port, setDiscovered, log, stop };
}
