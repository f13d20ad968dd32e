import { z } from "zod";

export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Body of POST /v1/chat. Unknown fields are rejected so typos surface as 400s. */
export const chatRequestSchema = z.strictObject({
  sessionId: z
    .string()
    .regex(SESSION_ID_PATTERN, "1-128 characters: letters, digits, '.', '_', ':' or '-'")
    .optional(),
  message: z.string().min(1, "must not be empty"),
  stream: z.boolean().optional(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/**
 * A count the agent puts a ceiling on. Null is what OpenAI SDKs send for "not set", so it is
 * accepted and means that (the agent's ceiling applies); a string or a fraction is refused here,
 * since a ceiling compares numbers and would let it through to the provider unchanged.
 */
const limitedCount = z
  .number()
  .int("must be an integer")
  .positive("must be at least 1")
  .nullable()
  .optional();

/**
 * Enough of an OpenAI chat body to fail early, and the fields the agent limits
 * (`apply-passthrough-policy.ts`) typed, so its ceilings hold; everything else passes through.
 */
export const completionRequestSchema = z.looseObject({
  messages: z.array(z.looseObject({ role: z.string().min(1) })).min(1, "needs at least one message"),
  model: z.string().optional(),
  stream: z.boolean().optional(),
  max_tokens: limitedCount,
  max_completion_tokens: limitedCount,
  n: limitedCount,
});
