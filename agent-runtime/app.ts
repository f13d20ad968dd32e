/**
 * Builds the Fastify app from its dependencies; nothing here listens or reads the environment.
 * Tests drive it with `app.inject()`; `server.ts` listens. Each lifecycle concern is a plugin of
 * its own (plugins/); this file only orders them.
 */
import type { Duplex } from "node:stream";
import Fastify, { type FastifyBaseLogger, LogController } from "fastify";
import type { AppDeps } from "./deps.ts";
import { clientErrorOf, clientErrorResponse } from "./http/client-error-response.ts";
import { requestIdFrom } from "./http/request-id.ts";
import { authentication } from "./plugins/authentication.ts";
import { closeEarlyAnswers } from "./plugins/close-early-answers.ts";
import { errorResponses } from "./plugins/error-responses.ts";
import { jsonBody } from "./plugins/json-body.ts";
import { rateLimit } from "./plugins/rate-limit.ts";
import { requestMetrics } from "./plugins/request-metrics.ts";
import { turnDeadline } from "./plugins/turn-deadline.ts";
import { turnLimit } from "./plugins/turn-limit.ts";
import { registerChatRoute } from "./routes/chat.ts";
import { registerChatCompletionsRoute } from "./routes/chat-completions.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerMetricsRoute } from "./routes/metrics.ts";

import "./http/request-context.ts";

export function buildApp(deps: AppDeps) {
  const app = Fastify({
    // Typed as Fastify's logger interface so routes can take a plain FastifyInstance.
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One line per API request is written by request-metrics, with the route and status we count.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "requestId" }),
    bodyLimit: deps.config.server.bodyLimitBytes,
    genReqId: (req) => requestIdFrom(req.headers),
    // New requests during shutdown get a 503 while in-flight ones finish.
    return503OnClosing: true,
    // Longer than common load-balancer idle timeouts, so they close idle connections, not us.
    keepAliveTimeout: 65_000,
    // A request (headers and body) must arrive within this; then 408 and the connection is closed.
    // It ends once the request is received: answers, streamed ones too, are not bounded by it.
    requestTimeout: deps.config.server.requestTimeoutMs,
    http: {
      // Node swaps the two when the headers' timeout is the longer (its default is 60 s), which
      // would leave bodies 60 s; and it looks for late requests only every 30 s by default.
      headersTimeout: Math.min(60_000, deps.config.server.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1000, deps.config.server.requestTimeoutMs),
    },
    clientErrorHandler: (error, socket) => {
      // A reset connection has no one left to answer.
      if ((error as NodeJS.ErrnoException).code === "ECONNRESET" || socket.destroyed) return;
      const answer = clientErrorOf(error);
      deps.logger.debug({ code: answer.code, cause: error.message }, "unparsable request refused");
      // As Node does: no error answer into the middle of one already being written.
      if (socket.writable && !answerStarted(socket)) socket.write(clientErrorResponse(answer));
      socket.destroy(error);
    },
  });
  app.decorateRequest("principal", null);
  app.decorateRequest("logFields", null);
  app.decorateRequest("upstream", null);
  app.decorateRequest("turnDeadline", null);
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  app.register(jsonBody);
  app.register(closeEarlyAnswers);
  app.register(errorResponses, deps);

  registerHealthRoutes(app, deps);
  registerMetricsRoute(app, deps);

  // The API routes share metrics, auth and rate limiting, in that order; probes and /metrics stay
  // outside them.
  app.register(async (api) => {
    api.register(requestMetrics, deps);
    api.register(authentication, deps);
    api.register(rateLimit, deps);
    // Turns only: a concurrency limit, then a deadline for the turns it lets through.
    api.register(turnLimit, deps);
    api.register(turnDeadline, deps);
    api.after(() => {
      registerChatRoute(api, deps);
      registerChatCompletionsRoute(api, deps);
    });
  });

  return app;
}

/** Whether the response being written on this socket has sent its head already. */
function answerStarted(socket: Duplex): boolean {
  return (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
}

export type App = ReturnType<typeof buildApp>;
