/**
 * What the agent decides in a /v1/chat/completions body, whatever the client sent: the model, a
 * ceiling on output tokens, how many completions one request buys, the temperature (unless the
 * agent lets clients choose it) and whether client-defined tools are allowed. Everything else
 * passes through as sent. The route's schema has checked that the limited counts are numbers (or
 * null) before the ceilings apply.
 */
import type { RuntimeConfig } from "../config/runtime-config.ts";
import { RuntimeError } from "../errors.ts";

export type PassthroughPolicy = {
  model: string;
  maxTokens: number | undefined;
  temperature: number | undefined;
} & RuntimeConfig["passthrough"];

const TOOL_FIELDS = ["tools", "tool_choice", "functions", "function_call"] as const;
const TOKEN_FIELDS = ["max_tokens", "max_completion_tokens"] as const;
/** Fields whose null means "not set": dropped, so the agent's ceiling (or the provider's default n = 1) applies. */
const NULLABLE_LIMITS = [...TOKEN_FIELDS, "n"] as const;

function clamp(value: unknown, ceiling: number): unknown {
  return typeof value === "number" && value > ceiling ? ceiling : value;
}

export function applyPassthroughPolicy(
  body: Record<string, unknown>,
  policy: PassthroughPolicy,
): Record<string, unknown> {
  if (!policy.allowTools) {
    const sent = TOOL_FIELDS.filter((field) => body[field] !== undefined);
    if (sent.length > 0) {
      throw new RuntimeError("INVALID_REQUEST", "this agent does not accept client-defined tools", {
        fields: sent.map((field) => ({ path: field, message: "not allowed by this agent" })),
      });
    }
  }
  const result: Record<string, unknown> = { ...body, model: policy.model };
  for (const field of NULLABLE_LIMITS) if (result[field] === null) delete result[field];
  if (result.n !== undefined) result.n = clamp(result.n, policy.maxN);
  if (policy.maxTokens !== undefined) {
    const ceiling = policy.maxTokens;
    const asked = TOKEN_FIELDS.filter((field) => result[field] !== undefined);
    for (const field of asked) result[field] = clamp(result[field], ceiling);
    // Without a limit of the client's own the agent's applies, as on /v1/chat.
    if (asked.length === 0) result.max_tokens = ceiling;
  }
  const clientChooses = policy.allowTemperature && result.temperature !== undefined;
  if (policy.temperature !== undefined && !clientChooses) result.temperature = policy.temperature;
  return result;
}
