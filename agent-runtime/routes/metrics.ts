import type { FastifyInstance } from "fastify";
import { RUNTIME_ENDPOINTS } from "../contract/endpoints.ts";
import type { AppDeps } from "../deps.ts";

export function registerMetricsRoute(app: FastifyInstance, deps: AppDeps): void {
  app.get(RUNTIME_ENDPOINTS.metrics, async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.header("content-type", deps.metrics.registry.contentType).send(body);
  });
}
