/**
 * How many turns run at once: at most AGENTRY_MAX_CONCURRENT_TURNS on this replica, and, when set,
 * AGENTRY_MAX_CONCURRENT_TURNS_PER_CALLER for one caller (its principal, else its address). A turn
 * past a limit is refused at once with Retry-After (503 TURN_LIMIT_REACHED for the replica, so a
 * load balancer or client tries another; 429 CALLER_TURN_LIMIT_REACHED for a caller, whose own
 * concurrency it is) instead of queueing for a model connection without bound. A turn counts from
 * its handler's start (the body received) until its response ends or its client hangs up. Runs
 * after authentication, whose principal names the caller.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { AppDeps } from "../deps.ts";
import { RuntimeError } from "../errors.ts";
import { isTurn } from "../http/turn-routes.ts";

/** Turns are short-lived: a second is long enough for one to end somewhere. */
const RETRY_AFTER_SECONDS = 1;

export const turnLimit = fp(
  async (app: FastifyInstance, { config, metrics }: Pick<AppDeps, "config" | "metrics">) => {
    const { maxConcurrent, maxConcurrentPerCaller } = config.turns;
    let running = 0;
    const perCaller = new Map<string, number>();

    app.addHook("preHandler", (request, reply, done) => {
      // A client already gone takes no place (its 'close' has come and gone).
      if (!isTurn(request) || reply.raw.destroyed) return done();
      if (running >= maxConcurrent) {
        metrics.turnsRefused.inc({ limit: "replica" });
        return done(
          new RuntimeError(
            "TURN_LIMIT_REACHED",
            `this replica is running its limit of ${maxConcurrent} turns; retry shortly`,
            { retryAfterSeconds: RETRY_AFTER_SECONDS },
          ),
        );
      }
      const caller =
        maxConcurrentPerCaller === undefined
          ? undefined
          : request.principal
            ? `client:${request.principal.id}`
            : `ip:${request.ip}`;
      if (caller !== undefined) {
        const callerTurns = perCaller.get(caller) ?? 0;
        if (callerTurns >= (maxConcurrentPerCaller ?? 0)) {
          metrics.turnsRefused.inc({ limit: "caller" });
          return done(
            new RuntimeError(
              "CALLER_TURN_LIMIT_REACHED",
              `this caller already runs ${callerTurns} turns at once, its limit; retry when one has ended`,
              { retryAfterSeconds: RETRY_AFTER_SECONDS },
            ),
          );
        }
        perCaller.set(caller, callerTurns + 1);
      }
      running++;
      // 'close' comes once the response has ended or the connection is gone, whichever is first.
      reply.raw.once("close", () => {
        running--;
        if (caller === undefined) return;
        const left = (perCaller.get(caller) ?? 1) - 1;
        if (left > 0) perCaller.set(caller, left);
        else perCaller.delete(caller);
      });
      done();
    });
  },
  { name: "agentry-turn-limit", dependencies: ["agentry-authentication"] },
);
