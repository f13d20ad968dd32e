/**
 * For each API request: the in-flight gauge, the request counter and histograms by route and
 * status (a request whose client hung up counts as 499), the runtime's own overhead (time not
 * spent waiting for the model), and one "request finished" log line.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { AppDeps } from "../deps.ts";

export const requestMetrics = fp(
  async (app: FastifyInstance, { metrics }: Pick<AppDeps, "metrics">) => {
    app.addHook("onRequest", (request, reply, done) => {
      const started = performance.now();
      metrics.inflight.inc();
      reply.raw.once("close", () => {
        metrics.inflight.dec();
        const route = request.routeOptions.url ?? "unknown";
        const status = reply.raw.writableEnded ? reply.raw.statusCode : 499;
        const seconds = (performance.now() - started) / 1000;
        metrics.requests.inc({ route, status: String(status) });
        metrics.requestDuration.observe({ route }, seconds);
        metrics.requestOverhead.observe({ route }, Math.max(0, seconds - (request.upstream?.ms ?? 0) / 1000));
        request.log.info(
          {
            method: request.method,
            route,
            status,
            durationMs: Math.round(seconds * 10_000) / 10,
            ...request.logFields,
          },
          "request finished",
        );
      });
      done();
    });
  },
  { name: "agentry-request-metrics" },
);
