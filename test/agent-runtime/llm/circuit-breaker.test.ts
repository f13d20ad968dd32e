import { describe, expect, it } from "vitest";
import {
  admitCall,
  type BreakerState,
  CircuitBreaker,
  CLOSED,
  recordFailure,
  recordInconclusive,
  recordSuccess,
} from "../../../agent-runtime/llm/circuit-breaker.ts";

const settings = { failureThreshold: 3, cooldownMs: 1000 };

describe("circuit breaker transitions", () => {
  it("opens after the threshold of consecutive failures", () => {
    let state: BreakerState = CLOSED;
    state = recordFailure(state, 0, settings);
    state = recordFailure(state, 0, settings);
    expect(state).toEqual({ kind: "closed", consecutiveFailures: 2 });
    state = recordFailure(state, 10, settings);
    expect(state).toEqual({ kind: "open", openedAt: 10 });
  });

  it("a success resets the count", () => {
    const state = recordSuccess(recordFailure(recordFailure(CLOSED, 0, settings), 0, settings));
    expect(recordFailure(state, 0, settings)).toEqual({ kind: "closed", consecutiveFailures: 1 });
  });

  it("refuses calls while open and reports the remaining cooldown", () => {
    const admission = admitCall({ kind: "open", openedAt: 0 }, 400, settings);
    expect(admission).toEqual({ admitted: false, state: { kind: "open", openedAt: 0 }, retryAfterMs: 600 });
  });

  it("lets exactly one trial call through after the cooldown", () => {
    const first = admitCall({ kind: "open", openedAt: 0 }, 1000, settings);
    expect(first.admitted).toBe(true);
    expect(first.state).toEqual({ kind: "half-open", trialInFlight: true });
    expect(admitCall(first.state, 1001, settings).admitted).toBe(false);
  });

  it("closes on a successful trial and re-opens on a failed one", () => {
    const trial: BreakerState = { kind: "half-open", trialInFlight: true };
    expect(recordSuccess(trial)).toEqual(CLOSED);
    expect(recordFailure(trial, 5000, settings)).toEqual({ kind: "open", openedAt: 5000 });
  });

  it("an inconclusive trial (client hung up) frees the slot for the next one", () => {
    const freed = recordInconclusive({ kind: "half-open", trialInFlight: true });
    expect(admitCall(freed, 0, settings).admitted).toBe(true);
  });
});

describe("CircuitBreaker", () => {
  it("reports open, then half-open once the cooldown has passed", () => {
    let now = 0;
    const breaker = new CircuitBreaker(settings, () => now);
    for (let i = 0; i < 3; i++) breaker.failure();
    expect(breaker.snapshot()).toEqual({ state: "open", retryAfterMs: 1000 });
    now = 1000;
    expect(breaker.snapshot().state).toBe("half-open");
    expect(breaker.admit().admitted).toBe(true);
    breaker.success();
    expect(breaker.snapshot().state).toBe("closed");
  });
});
