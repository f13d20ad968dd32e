/** One attempt of a model call: its abort signal, its timeout, and the wait before the next one. */
import { RuntimeError } from "../errors.ts";

export type AttemptControl = ReturnType<typeof attemptController>;

/**
 * Abort plumbing for one attempt: the client's signal, the turn's deadline (a signal whose reason
 * is the error the turn ends with) and our own timeout, which runs from here, the moment the
 * call is made, so time spent waiting for a free connection counts.
 */
export function attemptController(signal: AbortSignal, timeoutMs: number, deadline?: AbortSignal) {
  const controller = new AbortController();
  const state = { timedOut: false, deadlinePassed: false, timer: undefined as NodeJS.Timeout | undefined };
  const onAbort = () => controller.abort(signal.reason);
  const onDeadline = () => {
    // Only when it is what ends the attempt (not after a timeout or a hang-up did).
    state.deadlinePassed = !controller.signal.aborted;
    controller.abort(deadline?.reason);
  };
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", onAbort, { once: true });
  if (deadline?.aborted) onDeadline();
  else deadline?.addEventListener("abort", onDeadline, { once: true });
  const arm = () => {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timedOut = !state.deadlinePassed;
      controller.abort(new Error("timeout"));
    }, timeoutMs);
  };
  arm();
  return {
    signal: controller.signal,
    get timedOut() {
      return state.timedOut;
    },
    /** The turn's deadline passed first: the attempt ends with the deadline's error. */
    get deadlinePassed() {
      return state.deadlinePassed;
    },
    /** Streams use an idle timeout: every chunk re-arms it. */
    rearm: arm,
    /** The consumer stopped early: closing the request stops the generation upstream. */
    cancel: () => controller.abort(new Error("the consumer stopped reading")),
    dispose() {
      clearTimeout(state.timer);
      signal.removeEventListener("abort", onAbort);
      deadline?.removeEventListener("abort", onDeadline);
    },
  };
}

/**
 * Waits `ms` between attempts; a client that hangs up meanwhile ends the wait with CLIENT_CLOSED,
 * a turn deadline that passes with the deadline's error.
 */
export function sleepUnlessClosed(ms: number, signal: AbortSignal, deadline?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = () => new RuntimeError("CLIENT_CLOSED", "the client closed the connection");
    if (signal.aborted) return reject(closed());
    if (deadline?.aborted) return reject(deadline.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      deadline?.removeEventListener("abort", onDeadline);
      resolve();
    }, ms);
    const stop = (error: unknown) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      deadline?.removeEventListener("abort", onDeadline);
      reject(error);
    };
    const onAbort = () => stop(closed());
    const onDeadline = () => stop(deadline?.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    deadline?.addEventListener("abort", onDeadline, { once: true });
  });
}
