/**
 * Executes the model's tool calls over HTTP. A failing tool never fails the turn: its error
 * becomes the tool result, so the model can apologise, retry differently or answer without it.
 * Only the client hanging up aborts (it aborts the whole turn).
 */
import type { ToolDefinition } from "../config.ts";
import { RuntimeError } from "../errors.ts";
import type { CallContext } from "../llm/model-client.ts";
import type { RuntimeMetrics } from "../observability/metrics.ts";

export type ToolCallRequest = { name: string; arguments: string };
export type ToolCallResult = { ok: boolean; content: string };

export type ToolExecutor = {
  execute(call: ToolCallRequest, context: CallContext): Promise<ToolCallResult>;
};

/** Tool output is fed back into the prompt; cap it so one chatty tool cannot blow the context. */
export const MAX_TOOL_RESULT_CHARS = 16_384;

export function truncateToolOutput(text: string): string {
  if (text.length <= MAX_TOOL_RESULT_CHARS) return text;
  return `${text.slice(0, MAX_TOOL_RESULT_CHARS)}\n[truncated ${text.length - MAX_TOOL_RESULT_CHARS} chars]`;
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
  options: { defaultTimeoutMs: number; metrics: RuntimeMetrics },
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
        });
        const text = truncateToolOutput(await response.text());
        if (!response.ok) {
          count(tool.name, "error");
          return { ok: false, content: `error: the tool answered HTTP ${response.status}: ${text}` };
        }
        count(tool.name, "ok");
        return { ok: true, content: resultFrom(tool, text) };
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
