/** The routes whose requests are agent turns: they call the model, and the turn limits apply. */
import type { FastifyRequest } from "fastify";
import { RUNTIME_ENDPOINTS } from "../contract/endpoints.ts";

const TURN_ROUTES: ReadonlySet<string> = new Set([RUNTIME_ENDPOINTS.chat, RUNTIME_ENDPOINTS.chatCompletions]);

export function isTurn(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route !== undefined && TURN_ROUTES.has(route);
}
