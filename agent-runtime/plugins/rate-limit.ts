/**
 * The request rate limit, shared by every replica (ratelimit/), keyed by principal, client address
 * or nothing; answers 429 with Retry-After and sets the RateLimit headers on every answer. Runs
 * after authentication, whose principal picks the bucket.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { AppDeps } from "../deps.ts";
import { RuntimeError } from "../errors.ts";
import { rateLimitHeaders, rateLimitKeyOf } from "../ratelimit/rate-limiter.ts";

export const rateLimit = fp(
  async (app: FastifyInstance, { config, rateLimiter }: Pick<AppDeps, "config" | "rateLimiter">) => {
    const limit = config.rateLimit;
    if (!rateLimiter || !limit) return;
    app.addHook("onRequest", async (request, reply) => {
      const decision = await rateLimiter.take(rateLimitKeyOf(limit.key, request.principal?.id, request.ip));
      reply.headers(rateLimitHeaders(decision, limit));
      if (!decision.allowed) {
        throw new RuntimeError("RATE_LIMITED", "rate limit exceeded; see the Retry-After header", {
          retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
        });
      }
    });
  },
  { name: "agentry-rate-limit", dependencies: ["agentry-authentication"] },
);
