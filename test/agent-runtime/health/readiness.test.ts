import { describe, expect, it } from "vitest";
import { createReadinessChecker } from "../../../agent-runtime/health/readiness.ts";
import type { ModelClient, ProbeResult } from "../../../agent-runtime/llm/model-client.ts";

function fakeModel(
  probe: ProbeResult,
  breaker: ReturnType<ModelClient["breaker"]> = { state: "closed", retryAfterMs: 0 },
) {
  let probes = 0;
  const model = {
    complete: async () => {
      throw new Error("unused");
    },
    stream: async () => {
      throw new Error("unused");
    },
    probe: async () => {
      probes++;
      return probe;
    },
    breaker: () => breaker,
  } as ModelClient;
  return { model, probes: () => probes };
}

describe("readiness", () => {
  it("is ready when every check passes", async () => {
    const { model } = fakeModel({ ok: true, detail: "HTTP 200" });
    const check = createReadinessChecker({
      redis: undefined,
      model,
      checkModel: true,
      isDraining: () => false,
    });
    expect(await check()).toEqual({
      ready: true,
      checks: { model: { ok: true, detail: "HTTP 200" }, circuitBreaker: { ok: true, detail: "closed" } },
    });
  });

  it("is not ready while draining", async () => {
    const { model } = fakeModel({ ok: true, detail: "HTTP 200" });
    const check = createReadinessChecker({
      redis: undefined,
      model,
      checkModel: false,
      isDraining: () => true,
    });
    const report = await check();
    expect(report.ready).toBe(false);
    expect(report.checks.lifecycle).toEqual({ ok: false, detail: "shutting down" });
  });

  it("is not ready with the breaker open, and says when it will try again", async () => {
    const { model } = fakeModel({ ok: true, detail: "HTTP 200" }, { state: "open", retryAfterMs: 12_300 });
    const check = createReadinessChecker({
      redis: undefined,
      model,
      checkModel: false,
      isDraining: () => false,
    });
    expect((await check()).checks.circuitBreaker).toEqual({
      ok: false,
      detail: "open; next trial call in 13 s",
    });
  });

  it("probes the model endpoint at most once per interval", async () => {
    let now = 0;
    const { model, probes } = fakeModel({ ok: false, detail: "unreachable" });
    const check = createReadinessChecker({
      redis: undefined,
      model,
      checkModel: true,
      isDraining: () => false,
      modelProbeTtlMs: 5000,
      now: () => now,
    });
    expect((await check()).ready).toBe(false);
    now = 4999;
    await check();
    expect(probes()).toBe(1);
    now = 5000;
    await check();
    expect(probes()).toBe(2);
  });
});
