/**
 * A loopback /metrics endpoint with the agent runtime's own metrics (its `createMetrics`, so the
 * names, labels and buckets are the real ones), fed by a timer instead of requests: what a
 * revision's pods would expose under steady traffic.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createMetrics, type RuntimeMetrics } from "../../agent-runtime/observability/metrics.ts";

export type RuntimeMetricsExporter = {
  /** host:port to scrape. */
  target: string;
  metrics: RuntimeMetrics;
  close(): Promise<void>;
};

/** `tick` runs every `everyMs` (and once at once), recording what one slice of traffic does. */
export async function startRuntimeMetricsExporter(options: {
  revision: string;
  agent: string;
  tick?: (metrics: RuntimeMetrics) => void;
  everyMs?: number;
}): Promise<RuntimeMetricsExporter> {
  const metrics = createMetrics(options.revision, { processMetrics: false, agent: options.agent });
  const server = createServer((request, response) => {
    if (request.url !== "/metrics") {
      response.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const tick = options.tick;
  tick?.(metrics);
  const timer = tick ? setInterval(() => tick(metrics), options.everyMs ?? 100) : undefined;
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    metrics,
    close: async () => {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
