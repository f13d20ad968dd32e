/**
 * Executes the model's tool calls over HTTP. A failing tool never fails the turn: its error
 * becomes the tool result, so the model can apologise, retry differently or answer without it.
 * Only the client hanging up aborts (it aborts the whole turn).
 */
import type { ToolDefinition } from "../config/env-schema.ts";
import { RuntimeError } from "../errors.ts";
import type { CallContext } from "../llm/model-calls.ts";
import type { RuntimeMetrics } from "../observability/metrics.ts";
import { readCappedText } from "./read-capped-text.ts";
import { redactSecrets } from "./redact-secrets.ts";

export type ToolCallRequest = { name: string; arguments: string };
export type ToolCallResult = { ok: boolean; content: string };

export type ToolExecutor = {
  execute(call: ToolCallRequest, context: CallContext): Promise<ToolCallResult>;
};

/**
 * Tool output is fed back into the prompt; cap it so one chatty tool cannot blow the context. The
 * cap applies while reading: the rest of the body is never downloaded.
 */
export const MAX_TOOL_RESULT_BYTES = 16_384;

/**
 * What the model sees of a failed tool: the status and a short excerpt of the body with obvious
 * secrets removed. Error pages carry stack traces and connection strings; the model may repeat
 * whatever it is given to the caller.
 */
export function toolErrorText(status: number, body: string, excerptChars: number): string {
  const excerpt = redactSecrets(body.replace(/\s+/g, " ").trim());
  if (excerpt === "" || excerptChars === 0) return `error: the tool answered HTTP ${status}`;
  const cut = excerpt.length > excerptChars ? `${excerpt.slice(0, excerptChars)}…` : excerpt;
  return `error: the tool answered HTTP ${status}: ${cut}`;
}

function parseArguments(raw: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(raw === "" ? "{}" : raw) as unknown;
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function requestBodyFor(tool: ToolDefinition, args: Record<string, unknown>): string {
  if (tool.kind === "agent") {
    const message = typeof args.message === "string" ? args.message : JSON.stringify(args);
    return JSON.stringify({ message });
  }
  return JSON.stringify(args);
}

function resultFrom(tool: ToolDefinition, text: string): string {
  if (tool.kind !== "agent") return text;
  try {
    const answer = (JSON.parse(text) as { message?: { content?: unknown } }).message?.content;
    return typeof answer === "string" ? answer : text;
  } catch {
    return text;
  }
}

export function createToolExecutor(
  definitions: readonly ToolDefinition[],
  options: { defaultTimeoutMs: number; errorExcerptChars: number; metrics: RuntimeMetrics },
): ToolExecutor {
  const byName = new Map(definitions.map((tool) => [tool.name, tool]));
  const count = (tool: string, outcome: string) => options.metrics.toolCalls.inc({ tool, outcome });

  return {
    async execute(call, context) {
      const tool = byName.get(call.name);
      if (!tool) {
        count("unknown", "unknown_tool");
        return { ok: false, content: `error: there is no tool named "${call.name}"` };
      }
      const args = parseArguments(call.arguments);
      if (!args) {
        count(tool.name, "error");
        return { ok: false, content: "error: the tool arguments were not a JSON object" };
      }
      const timeoutMs = tool.timeoutSeconds ? tool.timeoutSeconds * 1000 : options.defaultTimeoutMs;
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const response = await fetch(tool.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json",
            ...context.headers,
            // This tool's own credential, never the caller's; tools get nothing else.
            ...(tool.credential ? { authorization: `Bearer ${tool.credential}` } : {}),
          },
          body: requestBodyFor(tool, args),
          signal: AbortSignal.any([context.signal, timeout]),
          // Following a redirect would re-send the call to wherever the tool points, past the
          // configured URL (a cloud metadata endpoint, say).
          redirect: "manual",
        });
        if (response.status >= 300 && response.status < 400) {
          await response.body?.cancel();
          count(tool.name, "error");
          return {
            ok: false,
            content: `error: the tool answered HTTP ${response.status}, a redirect, which tool calls do not follow`,
          };
        }
        if (!response.ok) {
          // Enough bytes for the excerpt in any encoding, before redaction shortens it.
          const excerptBytes = Math.min(options.errorExcerptChars * 4 + 256, MAX_TOOL_RESULT_BYTES);
          const { text } = await readCappedText(response.body, excerptBytes);
          count(tool.name, "error");
          return { ok: false, content: toolErrorText(response.status, text, options.errorExcerptChars) };
        }
        const { text, truncated } = await readCappedText(response.body, MAX_TOOL_RESULT_BYTES);
        count(tool.name, "ok");
        return {
          ok: true,
          content: truncated
            ? `${text}\n[truncated at ${MAX_TOOL_RESULT_BYTES} bytes]`
            : resultFrom(tool, text),
        };
      } catch (error) {
        if (context.signal.aborted) {
          throw new RuntimeError("CLIENT_CLOSED", "the client closed the connection", { cause: error });
        }
        if (timeout.aborted) {
          count(tool.name, "timeout");
          return { ok: false, content: `error: the tool did not answer within ${timeoutMs} ms` };
        }
        count(tool.name, "error");
        return { ok: false, content: `error: the tool could not be reached (${(error as Error).message})` };
      }
    },
  };
}
