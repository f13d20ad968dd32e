import { describe, expect, it } from "vitest";
import { advanceAnalysis } from "../../../operator/analysis/advance-analysis.ts";
import { analysisSpec } from "../../../operator/api/analysis-spec.ts";

const now = new Date("2026-12-01T10:00:00Z");
const context = {
  namespace: "agents",
  agent: "bot",
  canaryRevision: "c1",
  stableRevision: "s1",
  intervalMs: 30_000,
};
const noDefault = { address: undefined, bearerTokenFile: undefined, caFile: undefined };
const noSecrets = async () => undefined;
const spec = (extra: Record<string, unknown> = {}) =>
  analysisSpec.parse({
    metrics: [{ name: "errors", builtin: "errorRate", max: 0.05 }],
    interval: "30s",
    ...extra,
  });

describe("advanceAnalysis", () => {
  it("starts the analysis and waits out initialDelay without querying", async () => {
    const io = { operatorPrometheus: { ...noDefault, address: "http://127.0.0.1:1" }, readSecret: noSecrets };
    const advanced = await advanceAnalysis(
      undefined,
      spec({ initialDelay: "1m" }),
      { background: false },
      context,
      io,
      now,
    );
    expect(advanced.status).toMatchObject({ phase: "Pending", measurements: 0, consecutiveErrors: 0 });
    expect(advanced.requeueAfterMs).toBe(60_000);
  });

  it("turns a Prometheus it cannot resolve into a round of errors, then an Inconclusive analysis", async () => {
    const io = { operatorPrometheus: noDefault, readSecret: noSecrets };
    const analysis = spec({ consecutiveErrorLimit: 1 });
    const first = await advanceAnalysis(undefined, analysis, { background: false }, context, io, now);
    expect(first.status).toMatchObject({ phase: "Running", consecutiveErrors: 1, measurements: 0 });
    expect(first.status.message).toContain(
      "errors: no Prometheus address: set the analysis's prometheus.address or the operator's AGENTRY_PROMETHEUS_ADDRESS",
    );
    expect(first.requeueAfterMs).toBe(30_000);

    const early = await advanceAnalysis(
      first.status,
      analysis,
      { background: false },
      context,
      io,
      new Date(now.getTime() + 10_000),
    );
    expect(early).toEqual({ status: first.status, requeueAfterMs: 20_000 });

    const later = new Date(now.getTime() + 30_000);
    const second = await advanceAnalysis(first.status, analysis, { background: false }, context, io, later);
    expect(second.status).toMatchObject({ phase: "Inconclusive", consecutiveErrors: 2 });
    expect(second.requeueAfterMs).toBeUndefined();
  });

  it("names the Secret it could not read", async () => {
    const analysis = spec({
      prometheus: {
        address: "https://prometheus:9090",
        bearerTokenSecretRef: { name: "prom", key: "token" },
      },
    });
    const io = { operatorPrometheus: noDefault, readSecret: noSecrets };
    const { status } = await advanceAnalysis(undefined, analysis, { background: true }, context, io, now);
    expect(status.message).toContain(
      'errors: prometheus.bearerTokenSecretRef: Secret "prom" has no key "token" (or does not exist)',
    );
  });
});
