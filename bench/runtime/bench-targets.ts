/**
 * What each target is sent. The runtime gets POST /v1/chat with a sessionId from a pool (Redis
 * memory on); the floor gets the model request the runtime makes for such a session (system
 * prompt, its 50 history messages, the new message), so both make the same model call and the
 * difference is what the runtime adds.
 */
import type { Target } from "./load-generator.ts";
import { HISTORY_MESSAGES, SESSIONS } from "./settings.ts";
import type { BenchParts } from "./start-parts.ts";

export type BenchTargets = { runtime: Target; floor: Target; litellm: Target | undefined };

export function benchTargets(parts: BenchParts): BenchTargets {
  const { runtime, floorPort, litellm } = parts;
  const message = "What is the status of my order 12345?";
  const runtimeTarget: Target = {
    name: "runtime",
    port: runtime.port,
    path: "/v1/chat",
    body: (i) => JSON.stringify({ sessionId: `bench-${i % SESSIONS}`, message }),
  };
  // The model request the runtime makes for a session with full history (the stub echoes).
  const history = Array.from({ length: HISTORY_MESSAGES / 2 }, () => [
    { role: "user", content: message },
    { role: "assistant", content: `echo: ${message}` },
  ]).flat();
  const floorBody = JSON.stringify({
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      ...history,
      { role: "user", content: message },
    ],
    model: "bench-model",
  });
  const floorTarget: Target = {
    name: "floor",
    port: floorPort,
    path: "/v1/chat/completions",
    body: () => floorBody,
  };
  // LiteLLM gets the same model request as the floor: it keeps no conversation memory itself.
  const litellmTarget: Target | undefined = litellm && {
    name: "litellm",
    port: Number(new URL(litellm.url).port),
    path: "/v1/chat/completions",
    body: () => floorBody,
    headers: { authorization: `Bearer ${litellm.masterKey}` },
  };
  return { runtime: runtimeTarget, floor: floorTarget, litellm: litellmTarget };
}
