/**
 * POST /v1/chat/completions: OpenAI-compatible pass-through, so an OpenAI SDK client can point at
 * an agent. The body goes to the provider as sent, except what the agent decides
 * (`apply-passthrough-policy.ts`: the model, which canary analysis judges as part of the revision,
 * token ceiling, `n`, temperature, tools); the answer comes back as the provider's bytes: its JSON
 * text, its stream's event data, its 4xx with keys and org ids removed. A provider 401/403 refused
 * the runtime's credentials, not the client's: that is a 502 MODEL_AUTH_FAILED.
 * Same auth, rate limit, retries, breaker and metrics as /v1/chat; no memory, tools or system
 * prompt.
 */
import type { FastifyInstance } from "fastify";
import { cacheKeyOf, cacheScopeOf } from "../cache/cache-key.ts";
import { isCacheableCompletion } from "../cache/cacheable.ts";
import { RUNTIME_ENDPOINTS } from "../contract/endpoints.ts";
import type { AppDeps } from "../deps.ts";
import { errorBody, RuntimeError } from "../errors.ts";
import { parseBody } from "../http/parse-body.ts";
import { callContextFor } from "../http/request-context.ts";
import { createSseWriter } from "../http/sse-writer.ts";
import { applyPassthroughPolicy } from "../llm/apply-passthrough-policy.ts";
import { ModelHttpError } from "../llm/model-errors.ts";
import { redactProviderText } from "../llm/redact-provider-text.ts";
import { completionRequestSchema } from "./chat-schema.ts";

export function registerChatCompletionsRoute(app: FastifyInstance, deps: AppDeps): void {
  const { config } = deps;
  const cacheScope = cacheScopeOf(config);

  app.post(RUNTIME_ENDPOINTS.chatCompletions, async (request, reply) => {
    const body = applyPassthroughPolicy(parseBody(completionRequestSchema, request.body), {
      model: config.model.name,
      maxTokens: config.model.maxTokens,
      temperature: config.model.temperature,
      ...config.passthrough,
    });
    const context = callContextFor(request, reply);

    try {
      if (body.stream !== true) {
        const cacheKey =
          deps.cache && isCacheableCompletion(body)
            ? cacheKeyOf(config.redis.keyPrefix, cacheScope, request.principal?.id, {
                route: RUNTIME_ENDPOINTS.chatCompletions,
                body,
              })
            : undefined;
        let cacheHeader = cacheKey ? "miss" : "bypass";
        if (cacheKey && deps.cache) {
          const lookup = await deps.cache.get(cacheKey);
          deps.metrics.cache.inc({ result: lookup.result });
          if (lookup.result === "hit") {
            return reply.header("x-agentry-cache", "hit").type("application/json").send(lookup.value);
          }
          if (lookup.result === "error") cacheHeader = "bypass";
        }
        const json = await deps.model.forward(JSON.stringify(body), context);
        if (cacheKey && deps.cache) {
          await deps.cache.set(cacheKey, json).catch((error: Error) => {
            request.log.warn({ err: { message: error.message } }, "response cache write failed");
          });
        }
        return reply.header("x-agentry-cache", cacheHeader).type("application/json").send(json);
      }

      // Usage is always requested (for token metrics) but only relayed if the client asked for it.
      const clientWantsUsage =
        (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
      const params = {
        ...body,
        stream: true,
        stream_options: { ...(body.stream_options as object | undefined), include_usage: true },
      };
      const events = await deps.model.forwardStream(JSON.stringify(params), context);
      const sse = createSseWriter(reply);
      try {
        for await (const event of events) {
          if (event.usageOnly && !clientWantsUsage) continue;
          sse.send(event.data);
        }
        sse.send("[DONE]");
      } catch (error) {
        const runtimeError =
          error instanceof RuntimeError
            ? error
            : new RuntimeError("INTERNAL", "internal error", { cause: error });
        // The message can quote the provider's error event, which can name the runtime's key.
        sse.send(
          redactProviderText(JSON.stringify(errorBody(runtimeError, request.id)), config.provider.apiKey),
        );
      }
      sse.end();
    } catch (error) {
      // A provider's 4xx is the client's problem: relay it, minus whatever names our credentials.
      if (
        error instanceof RuntimeError &&
        (error.code === "MODEL_REQUEST_REJECTED" || error.code === "MODEL_INPUT_REJECTED") &&
        error.cause instanceof ModelHttpError
      ) {
        const upstream = error.cause;
        return reply
          .code(upstream.status)
          .type(upstream.contentType ?? "application/json")
          .send(redactProviderText(upstream.body, config.provider.apiKey));
      }
      throw error;
    }
  });
}
