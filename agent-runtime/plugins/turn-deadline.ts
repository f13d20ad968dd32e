/**
 * Every turn has a total deadline, AGENTRY_TURN_DEADLINE_SECONDS from its handler's start, on top
 * of the per-attempt and idle timeouts of its model calls: a model that keeps sending chunks never
 * holds a turn longer. `request.turnDeadline` aborts when it passes, with the turn's error
 * (504 TURN_DEADLINE_EXCEEDED) as its reason; the request's call context carries it to the model
 * client, which cancels the call in flight and makes no further one (a stream then ends with an
 * error event).
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { AppDeps } from "../deps.ts";
import { RuntimeError } from "../errors.ts";
import { isTurn } from "../http/turn-routes.ts";

export const turnDeadline = fp(
  async (app: FastifyInstance, { config }: Pick<AppDeps, "config">) => {
    const { deadlineMs } = config.turns;
    const seconds = Math.round(deadlineMs / 100) / 10;
    app.addHook("preHandler", (request, reply, done) => {
      if (!isTurn(request) || reply.raw.destroyed) return done();
      const deadline = new AbortController();
      const timer = setTimeout(() => {
        deadline.abort(
          new RuntimeError(
            "TURN_DEADLINE_EXCEEDED",
            `the turn did not finish within ${seconds} s (AGENTRY_TURN_DEADLINE_SECONDS)`,
          ),
        );
      }, deadlineMs);
      reply.raw.once("close", () => clearTimeout(timer));
      request.turnDeadline = deadline.signal;
      done();
    });
  },
  { name: "agentry-turn-deadline" },
);
