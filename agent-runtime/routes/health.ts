import type { FastifyInstance } from "fastify";
import { RUNTIME_ENDPOINTS } from "../contract/endpoints.ts";
import type { AppDeps } from "../deps.ts";

/**
 * `/livez` only says the event loop answers: restarting a pod never fixes Redis or the provider.
 * `/readyz` says whether this pod takes traffic (started, not draining); `/readyz?verbose` adds
 * the state of the shared dependencies, which degrade the service but never unready the pod.
 */
export function registerHealthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(RUNTIME_ENDPOINTS.livez, async () => ({ status: "ok" }));
  app.get(RUNTIME_ENDPOINTS.readyz, async (request, reply) => {
    const report = await deps.readiness({ verbose: "verbose" in (request.query as object) });
    return reply.code(report.ready ? 200 : 503).send(report);
  });
}
