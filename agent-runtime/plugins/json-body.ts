/**
 * The API speaks JSON only: anything else is a 415, not a string the schema then rejects. Fastify's
 * own JSON parser (its prototype-poisoning checks kept) runs behind a nesting limit.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { RuntimeError } from "../errors.ts";
import { exceedsJsonDepth } from "../http/json-nesting-depth.ts";

/** Far beyond any chat request (tool schemas nest a few levels), far below a stack overflow. */
export const MAX_JSON_DEPTH = 64;

export const jsonBody = fp(
  async (app: FastifyInstance) => {
    app.removeContentTypeParser("text/plain");
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
  },
  { name: "agentry-json-body" },
);
