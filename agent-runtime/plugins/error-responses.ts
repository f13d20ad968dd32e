/**
 * Every error leaves as the same JSON body with its stable code (errors.ts): what a handler threw,
 * what Fastify refused (body too large, wrong media type), and routes that do not exist. Server
 * errors are logged, provider details redacted unless content logging is on.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { AppDeps } from "../deps.ts";
import { errorBody, isRuntimeError, RuntimeError } from "../errors.ts";
import { loggableErrorMessage, providerErrorLogFields } from "../llm/provider-error-log-fields.ts";

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

export const errorResponses = fp(
  async (app: FastifyInstance, { config }: Pick<AppDeps, "config">) => {
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
  },
  { name: "agentry-error-responses" },
);
