/**
 * Builds the Fastify app from its dependencies; nothing here listens or reads the environment.
 * Tests drive it with `app.inject()`; `server.ts` listens.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { AppDeps } from "./deps.ts";
import { errorBody, isRuntimeError, RuntimeError } from "./errors.ts";
import { clientErrorOf, clientErrorResponse } from "./http/client-error-response.ts";
import { exceedsJsonDepth } from "./http/json-nesting-depth.ts";
import { requestIdFrom } from "./http/request-id.ts";
import { loggableErrorMessage, providerErrorLogFields } from "./llm/provider-error-log-fields.ts";
import { rateLimitHeaders, rateLimitKeyOf } from "./ratelimit/rate-limiter.ts";
import { registerChatRoute } from "./routes/chat.ts";
import { registerChatCompletionsRoute } from "./routes/chat-completions.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerMetricsRoute } from "./routes/metrics.ts";

import "./http/request-context.ts";

/** Far beyond any chat request (tool schemas nest a few levels), far below a stack overflow. */
const MAX_JSON_DEPTH = 64;

/** Converts anything thrown into the typed error the client sees. */
export function toRuntimeError(error: unknown): RuntimeError {
  if (isRuntimeError(error)) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new RuntimeError("PAYLOAD_TOO_LARGE", "the request body is too large", { cause: error });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new RuntimeError("UNSUPPORTED_MEDIA_TYPE", "send the body as application/json", {
        cause: error,
      });
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new RuntimeError("INVALID_REQUEST", fastifyError.message ?? "bad request", {
      cause: error,
      fields: [{ path: "(body)", message: fastifyError.message ?? "unreadable" }],
    });
  }
  return new RuntimeError("INTERNAL", "internal error", { cause: error });
}

export function buildApp(deps: AppDeps) {
  const { config, metrics } = deps;
  const app = Fastify({
    // Typed as Fastify's logger interface so routes can take a plain FastifyInstance.
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One line per API request is written by our own hook, with the route and status we count.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "requestId" }),
    bodyLimit: config.server.bodyLimitBytes,
    genReqId: (req) => requestIdFrom(req.headers),
    // New requests during shutdown get a 503 while in-flight ones finish.
    return503OnClosing: true,
    // Longer than common load-balancer idle timeouts, so they close idle connections, not us.
    keepAliveTimeout: 65_000,
    clientErrorHandler: (error, socket) => {
      // A reset connection has no one left to answer.
      if ((error as NodeJS.ErrnoException).code === "ECONNRESET" || socket.destroyed) return;
      const answer = clientErrorOf(error);
      deps.logger.debug({ code: answer.code, cause: error.message }, "unparsable request refused");
      if (socket.writable) socket.write(clientErrorResponse(answer));
      socket.destroy(error);
    },
  });
  app.decorateRequest("principal", null);
  app.decorateRequest("logFields", null);
  app.decorateRequest("upstream", null);
  // The API speaks JSON only; anything else is a 415, not a string the schema then rejects.
  app.removeContentTypeParser("text/plain");
  // Fastify's JSON parser (prototype-poisoning checks kept), behind a nesting limit.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, text, done) => {
    if (exceedsJsonDepth(String(text), MAX_JSON_DEPTH)) {
      const message = `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`;
      done(
        new RuntimeError("INVALID_REQUEST", message, { fields: [{ path: "(body)", message }] }),
        undefined,
      );
      return;
    }
    parseJson(request, String(text), done);
  });

  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });

  app.setErrorHandler((thrown: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const error = toRuntimeError(thrown);
    if (error.code === "INTERNAL") request.log.error({ err: thrown }, "unhandled error");
    else if (error.status >= 500) {
      request.log.warn(
        { code: error.code, ...providerErrorLogFields(error.cause, config.log.content) },
        loggableErrorMessage(error.message, config.log.content),
      );
    }
    if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
    return reply.code(error.status).send(errorBody(error, request.id));
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new RuntimeError("NOT_FOUND", `no route ${request.method} ${request.url}`);
    return reply.code(404).send(errorBody(error, request.id));
  });

  registerHealthRoutes(app, deps);
  registerMetricsRoute(app, deps);

  // request.ip is the socket's peer: without trustProxy, X-Forwarded-For cannot pick the bucket.
  const authenticate = async (request: FastifyRequest, route: string) => {
    const failures = deps.authFailures;
    if (!failures) return deps.authenticate(request.headers, route);
    const blockedMs = failures.blockedForMs(request.ip);
    if (blockedMs > 0) {
      throw new RuntimeError("RATE_LIMITED", "too many failed authentications; see the Retry-After header", {
        retryAfterSeconds: Math.max(1, Math.ceil(blockedMs / 1000)),
      });
    }
    try {
      return await deps.authenticate(request.headers, route);
    } catch (error) {
      if (isRuntimeError(error) && error.code === "UNAUTHENTICATED") failures.recordFailure(request.ip);
      throw error;
    }
  };

  // The API routes share metrics, auth and rate limiting; probes and /metrics stay outside them.
  app.register(async (api) => {
    api.addHook("onRequest", (request, reply, done) => {
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

    api.addHook("onRequest", async (request, reply) => {
      const route = request.routeOptions.url ?? request.url;
      request.principal = (await authenticate(request, route)) ?? null;
      const limit = config.rateLimit;
      if (!deps.rateLimiter || !limit) return;
      const decision = await deps.rateLimiter.take(
        rateLimitKeyOf(limit.key, request.principal?.id, request.ip),
      );
      reply.headers(rateLimitHeaders(decision, limit));
      if (!decision.allowed) {
        throw new RuntimeError("RATE_LIMITED", "rate limit exceeded; see the Retry-After header", {
          retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
        });
      }
    });

    registerChatRoute(api, deps);
    registerChatCompletionsRoute(api, deps);
  });

  return app;
}

export type App = ReturnType<typeof buildApp>;
