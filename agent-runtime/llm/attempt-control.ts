/** One attempt of a model call: its abort signal, its timeout, and the wait before the next one. */
import { RuntimeError } from "../errors.ts";

export type AttemptControl = ReturnType<typeof attemptController>;

/** Abort plumbing for one attempt: the client's signal plus our own timeout. */
export function attemptController(signal: AbortSignal, timeoutMs: number) {
  const controller = new AbortController();
  const state = { timedOut: false, timer: undefined as NodeJS.Timeout | undefined };
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", onAbort, { once: true });
  const arm = () => {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timedOut = true;
      controller.abort(new Error("timeout"));
    }, timeoutMs);
  };
  arm();
  return {
    signal: controller.signal,
    get timedOut() {
      return state.timedOut;
    },
    /** Streams use an idle timeout: every chunk re-arms it. */
    rearm: arm,
    /** The consumer stopped early: closing the request stops the generation upstream. */
    cancel: () => controller.abort(new Error("the consumer stopped reading")),
    dispose() {
      clearTimeout(state.timer);
      signal.removeEventListener("abort", onAbort);
    },
  };
}

/** Waits `ms` between attempts; a client that hangs up meanwhile ends the wait with CLIENT_CLOSED. */
export function sleepUnlessClosed(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new RuntimeError("CLIENT_CLOSED", "the client closed the connection"));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RuntimeError("CLIENT_CLOSED", "the client closed the connection"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
