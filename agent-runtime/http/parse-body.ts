import type { z } from "zod";
import { RuntimeError } from "../errors.ts";

/** Validates a request body; a failure lists every offending field, not just the first. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
    message: issue.message,
  }));
  throw new RuntimeError("INVALID_REQUEST", "the request body is invalid", { fields });
}
