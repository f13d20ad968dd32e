/**
 * An answer sent before its request has been received whole (a 401 or 429 from the hooks that run
 * before the body is read, a 413 for a declared length over the limit) closes the connection once
 * it is flushed (`Connection: close`, after which Node ends and destroys the socket). Otherwise
 * Node would go on reading, and discarding, the rest of the body for as long as the client takes
 * to send it: a client refused for its credentials could hold a socket with a slow body.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

export const closeEarlyAnswers = fp(
  async (app: FastifyInstance) => {
    app.addHook("onSend", (request, reply, payload, done) => {
      // `complete` is false until the whole request has arrived (undefined under `app.inject`).
      if (request.raw.complete === false) reply.header("connection", "close");
      done(null, payload);
    });
  },
  { name: "agentry-close-early-answers" },
);
