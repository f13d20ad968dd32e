import { describe, expect, it } from "vitest";
import { createReadinessChecker } from "../../../agent-runtime/health/readiness.ts";
import type { ModelClient, ProbeResult } from "../../../agent-runtime/llm/model-calls.ts";
import { createMetrics } from "../../../agent-runtime/observability/metrics.ts";

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

const serving = { lifecycle: { ok: true, detail: "serving" } };

describe("readiness", () => {
  it("is ready while serving, and reports every dependency when verbose", async () => {
    const { model, probes } = fakeModel({ ok: true, detail: "HTTP 200" });
    const check = createReadinessChecker({
      redis: undefined,
      model,
      checkModel: true,
      isDraining: () => false,
    });
    expect(await check()).toEqual({ ready: true, checks: serving });
    expect(probes(), "the plain probe touches no dependency").toBe(0);
    expect(await check({ verbose: true })).toEqual({
      ready: true,
      checks: {
        model: { ok: true, detail: "HTTP 200" },
        circuitBreaker: { ok: true, detail: "closed" },
        ...serving,
      },
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
    expect(await check()).toEqual({
      ready: false,
      checks: { lifecycle: { ok: false, detail: "shutting down" } },
    });
  });

  it("is not ready until start-up is over", async () => {
    const { model } = fakeModel({ ok: true, detail: "HTTP 200" });
    let finishStartup = () => {};
    const startup = new Promise<void>((resolve) => {
      finishStartup = resolve;
    });
    const check = createReadinessChecker({
      redis: undefined,
      model,
      checkModel: false,
      isDraining: () => false,
      startup,
    });
    expect(await check()).toEqual({ ready: false, checks: { lifecycle: { ok: false, detail: "starting" } } });
    finishStartup();
    await startup;
    expect(await check()).toEqual({ ready: true, checks: serving });
  });

  it("stays ready with the model down and the breaker open, and says so when verbose", async () => {
    const { model } = fakeModel(
      { ok: false, detail: "unreachable" },
      { state: "open", retryAfterMs: 12_300 },
    );
    const check = createReadinessChecker({
      redis: undefined,
      model,
      checkModel: true,
      isDraining: () => false,
    });
    const report = await check({ verbose: true });
    expect(report.ready).toBe(true);
    expect(report.checks.model).toEqual({ ok: false, detail: "unreachable" });
    expect(report.checks.circuitBreaker).toEqual({ ok: false, detail: "open; next trial call in 13 s" });
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
    await check({ verbose: true });
    now = 4999;
    await check({ verbose: true });
    expect(probes()).toBe(1);
    now = 5000;
    await check({ verbose: true });
    expect(probes()).toBe(2);
  });

  it.each([
    { probe: { ok: false, detail: "unreachable" }, breaker: "closed", checkModel: true, up: 0 },
    { probe: { ok: true, detail: "HTTP 200" }, breaker: "open", checkModel: false, up: 0 },
    { probe: { ok: true, detail: "HTTP 200" }, breaker: "closed", checkModel: true, up: 1 },
  ] as const)(
    "exports agentry_dependency_up{dependency=model} $up for probe ok=$probe.ok, breaker $breaker",
    async ({ probe, breaker, checkModel, up }) => {
      const metrics = createMetrics("r", { processMetrics: false });
      const { model } = fakeModel(probe, { state: breaker, retryAfterMs: 1 });
      createReadinessChecker({ redis: undefined, model, checkModel, isDraining: () => false, metrics });
      expect(await metrics.registry.metrics()).toContain(
        `agentry_dependency_up{dependency="model",revision="r"} ${up}`,
      );
    },
  );
});
