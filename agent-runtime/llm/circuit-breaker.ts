/**
 * Circuit breaker for the model endpoint. The transitions are pure functions of (state, now);
 * `CircuitBreaker` only holds the current state.
 *
 * closed --threshold consecutive failures--> open --cooldown elapsed--> half-open (one trial call)
 * half-open --trial succeeds--> closed; --trial fails--> open again.
 */

export type BreakerSettings = { failureThreshold: number; cooldownMs: number };

export type BreakerState =
  | { kind: "closed"; consecutiveFailures: number }
  | { kind: "open"; openedAt: number }
  | { kind: "half-open"; trialInFlight: boolean };

export const CLOSED: BreakerState = { kind: "closed", consecutiveFailures: 0 };

export type Admission =
  | { admitted: true; state: BreakerState }
  | { admitted: false; state: BreakerState; retryAfterMs: number };

export function admitCall(state: BreakerState, now: number, settings: BreakerSettings): Admission {
  switch (state.kind) {
    case "closed":
      return { admitted: true, state };
    case "open": {
      const remaining = state.openedAt + settings.cooldownMs - now;
      if (remaining > 0) return { admitted: false, state, retryAfterMs: remaining };
      return { admitted: true, state: { kind: "half-open", trialInFlight: true } };
    }
    case "half-open":
      if (state.trialInFlight) return { admitted: false, state, retryAfterMs: 1000 };
      return { admitted: true, state: { kind: "half-open", trialInFlight: true } };
  }
}

export function recordSuccess(_state: BreakerState): BreakerState {
  return CLOSED;
}

export function recordFailure(state: BreakerState, now: number, settings: BreakerSettings): BreakerState {
  if (state.kind === "half-open") return { kind: "open", openedAt: now };
  if (state.kind === "open") return state;
  const consecutiveFailures = state.consecutiveFailures + 1;
  if (consecutiveFailures >= settings.failureThreshold) return { kind: "open", openedAt: now };
  return { kind: "closed", consecutiveFailures };
}

/** A call that ended without telling us anything about the endpoint (e.g. the client hung up). */
export function recordInconclusive(state: BreakerState): BreakerState {
  return state.kind === "half-open" ? { kind: "half-open", trialInFlight: false } : state;
}

export type BreakerSnapshot = { state: "closed" | "open" | "half-open"; retryAfterMs: number };

export class CircuitBreaker {
  #state: BreakerState = CLOSED;
  readonly #settings: BreakerSettings;
  readonly #now: () => number;

  constructor(settings: BreakerSettings, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
  }

  admit(): Admission {
    const admission = admitCall(this.#state, this.#now(), this.#settings);
    this.#state = admission.state;
    return admission;
  }

  success(): void {
    this.#state = recordSuccess(this.#state);
  }

  failure(): void {
    this.#state = recordFailure(this.#state, this.#now(), this.#settings);
  }

  inconclusive(): void {
    this.#state = recordInconclusive(this.#state);
  }

  snapshot(): BreakerSnapshot {
    const state = this.#state;
    if (state.kind !== "open") return { state: state.kind, retryAfterMs: 0 };
    const remaining = Math.max(0, state.openedAt + this.#settings.cooldownMs - this.#now());
    // An open breaker whose cooldown has passed will admit the next call: report it as half-open.
    return remaining > 0
      ? { state: "open", retryAfterMs: remaining }
      : { state: "half-open", retryAfterMs: 0 };
  }
}
