/**
 * The operator process: configuration from the environment, wiring, leader election and a
 * graceful drain on SIGTERM. `npm run operator` runs it against $KUBECONFIG.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { parseOperatorConfig } from "./config.ts";
import { Controller } from "./controller/controller.ts";
import { startHealthServer } from "./controller/health-server.ts";
import { LeaderElector } from "./controller/leader-election.ts";
import { createOperatorMetrics } from "./controller/metrics.ts";
import { KubeApi } from "./kube/kube-api.ts";

export async function runOperator(env: Record<string, string | undefined>) {
  const config = parseOperatorConfig(env);
  const log = pino({
    level: config.logLevel,
    base: { component: "agentry-operator", identity: config.identity },
  });
  const metrics = createOperatorMetrics();
  const api = KubeApi.fromDefault({
    ...config.kube,
    observe: (verb, resource, code, seconds) => {
      metrics.kubeRequests.inc({ verb, resource, code: String(code) });
      if (verb !== "watch") metrics.kubeRequestDuration.observe({ verb }, seconds);
    },
  });
  const controller = new Controller({
    api,
    log,
    metrics,
    reconcile: {
      defaultImage: config.defaultImage,
      clusterDomain: config.clusterDomain,
    },
    prometheus: config.prometheus,
    namespaces: config.namespaces,
    workers: config.workers,
    identity: config.identity,
    resyncMs: config.resyncMs,
    generateKey: () => randomBytes(24).toString("base64url"),
  });

  let shuttingDown = false;
  const server = await startHealthServer(
    metrics.registry,
    { live: () => !shuttingDown, ready: () => !shuttingDown && controller.healthy && api.reachable },
    config.http.host,
    config.http.port,
  );
  log.info(
    {
      port: (server.address() as AddressInfo).port,
      namespaces: config.namespaces.length ? config.namespaces : "all",
    },
    "operator starting",
  );
  const gauges = setInterval(() => controller.updateGauges(), 5000);
  gauges.unref();

  await controller.start();
  log.info("caches synced");

  const elector = config.leaderElection
    ? new LeaderElector({
        api,
        namespace: config.leaseNamespace,
        name: config.leaseName,
        identity: config.identity,
        log,
        onStartedLeading: () => {
          metrics.leader.set(1);
          controller.startWorkers();
        },
        onStoppedLeading: () => {
          // Another replica may already act: stop at once rather than race it.
          metrics.leader.set(0);
          log.fatal("leadership lost; exiting so a fresh process can campaign again");
          process.exit(1);
        },
      })
    : undefined;
  if (elector) elector.start();
  else {
    metrics.leader.set(1);
    controller.startWorkers();
  }

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, "draining: finishing in-flight reconciles");
    await controller.shutdown(config.shutdownMs);
    await elector?.stop();
    server.close();
    api.close();
    log.info("stopped");
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM").then(() => process.exit(0)));
  process.once("SIGINT", () => void shutdown("SIGINT").then(() => process.exit(0)));
  return { controller, shutdown };
}

if (import.meta.main) {
  runOperator(process.env).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
