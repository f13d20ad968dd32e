/**
 * The limits a session turn must pass before the model is called: a user message a session may
 * store, and, for an authenticated caller, room for this session in its quota of live sessions.
 * (Without auth every caller is the same anonymous owner, so there is no per-caller quota.)
 */
import type { Principal } from "../auth/principal.ts";
import type { AppDeps } from "../deps.ts";
import { RuntimeError } from "../errors.ts";

export async function admitSessionTurn(
  deps: Pick<AppDeps, "config" | "sessionQuota">,
  owner: Principal | null,
  sessionId: string,
  message: string,
): Promise<void> {
  const { maxMessageBytes, maxSessionsPerCaller } = deps.config.memory;
  if (Buffer.byteLength(message) > maxMessageBytes) {
    throw new RuntimeError("INVALID_REQUEST", "the message is too large for a session", {
      fields: [{ path: "message", message: `at most ${maxMessageBytes} bytes in a session turn` }],
    });
  }
  if (!owner || !deps.sessionQuota) return;
  if (!(await deps.sessionQuota.claim(owner, sessionId))) {
    throw new RuntimeError(
      "SESSION_LIMIT_REACHED",
      `this caller already has ${maxSessionsPerCaller} live sessions; continue one of them or wait until one expires`,
    );
  }
}
