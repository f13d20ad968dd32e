import type { FastifyInstance } from "fastify";
import { RUNTIME_ENDPOINTS } from "../config.ts";
import type { AppDeps } from "../deps.ts";

/**
 * `/livez` only says the event loop answers: restarting a pod never fixes Redis or the provider,
 * so dependencies belong in `/readyz`, which takes the pod out of the Service instead.
 */
export function registerHealthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(RUNTIME_ENDPOINTS.livez, async () => ({ status: "ok" }));
  app.get(RUNTIME_ENDPOINTS.readyz, async (_request, reply) => {
    const report = await deps.readiness();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
}
