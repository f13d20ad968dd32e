/**
 * POST /v1/chat: one agent turn with optional session memory, as JSON or server-sent events.
 *
 * SSE events: `delta` {content}, `tool` {name, ok}, then `done` (the same body as the JSON answer)
 * or `error` {error}. Errors before the first event are ordinary HTTP errors.
 */
import type { FastifyInstance } from "fastify";
import { startConversation } from "../agent/conversation.ts";
import { toOpenAiTools } from "../agent/openai-tools.ts";
import { runTurn, type TurnResult } from "../agent/run-turn.ts";
import type { TurnSettings } from "../agent/turn-settings.ts";
import { cacheKeyOf, cacheScopeOf } from "../cache/cache-key.ts";
import { isCacheableChat } from "../cache/cacheable.ts";
import { RUNTIME_ENDPOINTS } from "../contract/endpoints.ts";
import type { AppDeps } from "../deps.ts";
import { errorBody, RuntimeError } from "../errors.ts";
import { parseBody } from "../http/parse-body.ts";
import { callContextFor } from "../http/request-context.ts";
import { createSseWriter } from "../http/sse-writer.ts";
import { loggableErrorMessage, providerErrorLogFields } from "../llm/provider-error-log-fields.ts";
import { admitSessionTurn } from "../memory/admit-session-turn.ts";
import { loggableContent } from "../observability/logger.ts";
import { type ChatRequest, chatRequestSchema } from "./chat-schema.ts";

export type ChatResponse = {
  sessionId?: string;
  message: { role: "assistant"; content: string };
  usage: { promptTokens: number; completionTokens: number };
  toolCalls: { name: string; ok: boolean }[];
  cached: boolean;
};

function responseOf(body: ChatRequest, result: TurnResult): ChatResponse {
  return {
    ...(body.sessionId ? { sessionId: body.sessionId } : {}),
    message: { role: "assistant", content: result.content },
    usage: result.usage,
    toolCalls: result.toolCalls,
    cached: false,
  };
}

export function registerChatRoute(app: FastifyInstance, deps: AppDeps): void {
  const { config } = deps;
  const settings: TurnSettings = {
    model: config.model.name,
    temperature: config.model.temperature,
    maxTokens: config.model.maxTokens,
    tools: toOpenAiTools(config.tools.definitions),
    maxToolRounds: config.tools.maxRounds,
    maxToolCallsPerRound: config.tools.maxCallsPerRound,
    maxToolCallsPerTurn: config.tools.maxCallsPerTurn,
    toolConcurrency: config.tools.concurrency,
  };
  const cacheScope = cacheScopeOf(config);

  app.post(RUNTIME_ENDPOINTS.chat, async (request, reply) => {
    const body = parseBody(chatRequestSchema, request.body);
    const { sessionId } = body;
    if (sessionId && !deps.sessions) {
      throw new RuntimeError("SESSIONS_DISABLED", "this agent has no memory configured; omit sessionId");
    }
    const context = callContextFor(request, reply);
    // A session is keyed by its owner too: another principal's id for it is a new session.
    const owner = request.principal;
    if (sessionId && deps.sessions) await admitSessionTurn(deps, owner, sessionId, body.message);
    const history = sessionId && deps.sessions ? await deps.sessions.load(owner, sessionId) : "";

    const cacheable =
      deps.cache !== undefined &&
      isCacheableChat({
        temperature: config.model.temperature,
        toolCount: settings.tools.length,
        sessionId,
        stream: body.stream === true,
      });
    const cacheKey = cacheable
      ? cacheKeyOf(config.redis.keyPrefix, cacheScope, owner?.id, {
          route: RUNTIME_ENDPOINTS.chat,
          settings,
          systemPrompt: config.model.systemPrompt,
          history,
          message: body.message,
        })
      : undefined;
    let cacheHeader = cacheKey ? "miss" : "bypass";
    if (cacheKey && deps.cache) {
      const lookup = await deps.cache.get(cacheKey);
      deps.metrics.cache.inc({ result: lookup.result });
      if (lookup.result === "hit") {
        return reply
          .header("x-agentry-cache", "hit")
          .send({ ...(JSON.parse(lookup.value) as object), cached: true });
      }
      if (lookup.result === "error") cacheHeader = "bypass";
    }

    const conversation = startConversation(config.model.systemPrompt, history, body.message);
    const finishTurn = async (result: TurnResult) => {
      if (sessionId && deps.sessions) {
        await deps.sessions.appendTurn(owner, sessionId, [
          { role: "user", content: body.message },
          { role: "assistant", content: result.content },
        ]);
      }
      request.logFields = {
        sessionId,
        message: loggableContent(body.message, config.log.content),
        answer: loggableContent(result.content, config.log.content),
        toolCalls: result.toolCalls.length,
        usage: result.usage,
      };
      return responseOf(body, result);
    };

    if (!body.stream) {
      const response = await finishTurn(await runTurn(conversation, settings, deps, context));
      if (cacheKey && deps.cache) {
        // The answer is ready; a cache write failing must not cost the client its answer.
        await deps.cache.set(cacheKey, JSON.stringify(response)).catch((error: Error) => {
          request.log.warn({ err: { message: error.message } }, "response cache write failed");
        });
      }
      return reply.header("x-agentry-cache", cacheHeader).send(response);
    }

    const sse = createSseWriter(reply);
    try {
      const result = await runTurn(conversation, settings, deps, context, (event) => {
        if (event.type === "delta") sse.send(JSON.stringify({ content: event.content }), "delta");
        else sse.send(JSON.stringify({ name: event.name, ok: event.ok }), "tool");
      });
      sse.send(JSON.stringify(await finishTurn(result)), "done");
      sse.end();
    } catch (error) {
      if (!sse.started) throw error;
      const runtimeError =
        error instanceof RuntimeError
          ? error
          : new RuntimeError("INTERNAL", "internal error", { cause: error });
      request.log.warn(
        { code: runtimeError.code, ...providerErrorLogFields(runtimeError.cause, config.log.content) },
        `stream ended with an error: ${loggableErrorMessage(runtimeError.message, config.log.content)}`,
      );
      sse.send(JSON.stringify(errorBody(runtimeError, request.id)), "error");
      sse.end();
    }
  });
}
