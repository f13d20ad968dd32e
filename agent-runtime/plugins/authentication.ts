/**
 * Who is calling: the principal from the API key or JWT (auth/), on `request.principal`. A client
 * address that keeps failing is refused for a while before its credentials are even checked.
 * request.ip is the socket's peer: without trustProxy, X-Forwarded-For cannot pick the bucket.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { AppDeps } from "../deps.ts";
import { isRuntimeError, RuntimeError } from "../errors.ts";

export const authentication = fp(
  async (app: FastifyInstance, deps: Pick<AppDeps, "authenticate" | "authFailures">) => {
    const authenticate = async (request: FastifyRequest, route: string) => {
      const failures = deps.authFailures;
      if (!failures) return deps.authenticate(request.headers, route);
      const blockedMs = failures.blockedForMs(request.ip);
      if (blockedMs > 0) {
        throw new RuntimeError(
          "RATE_LIMITED",
          "too many failed authentications; see the Retry-After header",
          {
            retryAfterSeconds: Math.max(1, Math.ceil(blockedMs / 1000)),
          },
        );
      }
      try {
        return await deps.authenticate(request.headers, route);
      } catch (error) {
        if (isRuntimeError(error) && error.code === "UNAUTHENTICATED") failures.recordFailure(request.ip);
        throw error;
      }
    };
    app.addHook("onRequest", async (request) => {
      const route = request.routeOptions.url ?? request.url;
      request.principal = (await authenticate(request, route)) ?? null;
    });
  },
  { name: "agentry-authentication" },
);
