/**
 * Only deterministic requests are cached: temperature exactly 0, no tools (a tool's answer can
 * change), no session (history makes every turn unique) and no streaming.
 */

export function isCacheableChat(request: {
  temperature: number | undefined;
  toolCount: number;
  sessionId: string | undefined;
  stream: boolean;
}): boolean {
  return (
    request.temperature === 0 && request.toolCount === 0 && request.sessionId === undefined && !request.stream
  );
}

/** For OpenAI-style bodies; an absent temperature means the provider's default (1), not 0. */
export function isCacheableCompletion(body: Record<string, unknown>): boolean {
  const hasTools = (Array.isArray(body.tools) && body.tools.length > 0) || Array.isArray(body.functions);
  const singleChoice = body.n === undefined || body.n === 1;
  return body.temperature === 0 && !hasTools && body.stream !== true && singleChoice;
}
