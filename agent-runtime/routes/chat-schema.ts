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

/** Enough of an OpenAI chat body to fail early; everything else passes through untouched. */
export const completionRequestSchema = z.looseObject({
  messages: z.array(z.looseObject({ role: z.string().min(1) })).min(1, "needs at least one message"),
  model: z.string().optional(),
  stream: z.boolean().optional(),
});
