import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeaderElector } from "../../../operator/controller/leader-election.ts";
import type { CallOptions, KubeApi } from "../../../operator/kube/kube-api.ts";
import { KubeApiError } from "../../../operator/kube/kube-api-error.ts";

/** A Lease store whose requests can be made to hang; a hung request fails at its timeoutMs. */
function leaseApi() {
  let lease: Record<string, unknown> | undefined;
  let hanging = false;
  const timeouts: number[] = [];
  const answer = <T>(options: CallOptions | undefined, value: () => T): Promise<T> => {
    timeouts.push(options?.timeoutMs ?? Number.POSITIVE_INFINITY);
    if (!hanging) return Promise.resolve(value());
    return new Promise((_resolve, reject) =>
      setTimeout(
        () => reject(new KubeApiError("get", "lease", 0, "Timeout", "hung", { code: "KUBE_API_TIMEOUT" })),
        options?.timeoutMs,
      ),
    );
  };
  const api = {
    get: (_path: string, options?: CallOptions) => answer(options, () => lease),
    create: (_path: string, object: Record<string, unknown>, _manager: string, options?: CallOptions) =>
      answer(options, () => {
        lease = object;
        return object;
      }),
    replace: (_path: string, object: Record<string, unknown>, _manager: string, options?: CallOptions) =>
      answer(options, () => {
        lease = object;
        return object;
      }),
  };
  return {
    api: api as unknown as KubeApi,
    timeouts,
    hang: () => {
      hanging = true;
    },
  };
}

describe("LeaderElector", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("steps down at the renew deadline while its requests hang, well before the lease duration", async () => {
    const { api, hang, timeouts } = leaseApi();
    const events: string[] = [];
    const elector = new LeaderElector({
      api,
      namespace: "ns",
      name: "lease",
      identity: "me",
      log: pino({ level: "silent" }),
      onStartedLeading: () => events.push(`started@${Date.now()}`),
      onStoppedLeading: () => events.push(`stopped@${Date.now()}`),
    });
    const start = Date.now();
    elector.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual([`started@${start}`]);
    await vi.advanceTimersByTimeAsync(4000);
    // The last renewal that got through began at start + 4 s (retry period 2 s).
    hang();
    await vi.advanceTimersByTimeAsync(9999);
    expect(events).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual([`started@${start}`, `stopped@${start + 14_000}`]);
    // Every Lease request had a deadline shorter than the renew deadline (10 s).
    expect(Math.max(...timeouts)).toBeLessThanOrEqual(5000);
    // Having stepped down, it does not campaign again.
    const requests = timeouts.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(timeouts.length).toBe(requests);
    await elector.stop();
  });

  it("refuses timings where a leader could outlive its lease", () => {
    const options = {
      api: leaseApi().api,
      namespace: "ns",
      name: "lease",
      identity: "me",
      log: pino({ level: "silent" }),
      onStartedLeading: () => {},
      onStoppedLeading: () => {},
    };
    expect(() => new LeaderElector({ ...options, renewDeadlineSeconds: 15 })).toThrow(/renewDeadline/);
    expect(() => new LeaderElector({ ...options, attemptTimeoutSeconds: 10 })).toThrow(/attempt timeout/);
  });
});
