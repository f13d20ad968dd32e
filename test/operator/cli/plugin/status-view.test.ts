import { describe, expect, it } from "vitest";
import { statusView } from "../../../../operator/cli/plugin/status-view.ts";
import { canaryAgent, HISTORY, revisionDeployment } from "./agent-fixtures.ts";

describe("statusView", () => {
  it("shows a canary mid-rollout: step, weight, analysis, both revisions with image, model and ready pods", () => {
    const lines = statusView({
      agent: canaryAgent({
        phase: "Progressing",
        message: "canary step 2/4 (pause 2s): weight 25%, paused until 2026-01-02T00:01:00Z",
        sessions: "Disabled",
        stableRevision: "old",
        updateRevision: "new",
        canary: {
          currentStepIndex: 1,
          stepCount: 4,
          weight: 25,
          backgroundAnalysis: {
            phase: "Running",
            failures: 0,
            inconclusives: 0,
            consecutiveErrors: 0,
            measurements: 2,
            lastMeasurements: [
              { metric: "errors", value: 0.01, outcome: "Successful", measuredAt: "2026-01-02T00:00:30Z" },
            ],
          },
        },
        history: HISTORY,
      }),
      deployments: [
        revisionDeployment("old", "gpt-4o-mini", 3, 3),
        revisionDeployment("new", "gpt-4o", 1, 0),
      ],
    });
    expect(lines).toEqual([
      "Name:        bot (namespace agents)",
      "Strategy:    Canary: setWeight 25 -> pause 2s -> setWeight 50 -> pause",
      "Phase:       Progressing",
      "Message:     canary step 2/4 (pause 2s): weight 25%, paused until 2026-01-02T00:01:00Z",
      "Sessions:    disabled: stateless turns only, no memory.redis",
      "Step:        2/4 (pause 2s)",
      "Weight:      25%",
      "Background:  Running; 2 measurement(s), 0 failed, 0 inconclusive; errors=0.01 Successful",
      "Stable:      old",
      "Update:      new",
      "",
      "Revisions:",
      "  REVISION   ROLE     PODS READY   IMAGE                                 MODEL",
      "  new        canary   0/1          ghcr.io/agentry/agent-runtime:1.2.0   gpt-4o",
      "  old        stable   3/3          ghcr.io/agentry/agent-runtime:1.2.0   gpt-4o-mini",
      "",
      "History (undo --to-revision N):",
      "  N   REVISION   OUTCOME       IMAGE                                 MODEL         STARTED",
      "  0   new        Progressing   ghcr.io/agentry/agent-runtime:1.2.0   gpt-4o        2026-01-02T00:00:00Z",
      "  1   old        Promoted      ghcr.io/agentry/agent-runtime:1.1.0   gpt-4o-mini   2026-01-01T00:00:00Z",
    ]);
  });

  it("says when the operator has not acted on the latest spec, and shows pause and abort", () => {
    const agent = canaryAgent(
      { phase: "Degraded", aborted: true, abortMessage: "step 3 analysis failed", observedGeneration: 2 },
      { paused: true },
    );
    const lines = statusView({ agent, deployments: [] });
    expect(lines).toContain(
      "Phase:       Degraded (for generation 2; the operator has not acted on generation 3 yet)",
    );
    expect(lines).toContain("Paused:      spec.paused is true (resume with `kubectl agentry resume`)");
    expect(lines).toContain("Aborted:     step 3 analysis failed");
    expect(lines).toContain("  (no Deployment yet)");
  });

  it("shows blue-green revisions and the first rollout's revision as new", () => {
    const agent = canaryAgent(
      {
        phase: "Paused",
        updateRevision: "new",
        blueGreen: { activeRevision: "new", previewRevision: "new" },
      },
      { strategy: { type: "BlueGreen", blueGreen: { autoPromotionEnabled: false } } },
    );
    const lines = statusView({ agent, deployments: [revisionDeployment("new", "gpt-4o", 4, 4)] });
    expect(lines).toContain("Strategy:    BlueGreen (promote by hand)");
    expect(lines).toContain("Active:      new");
    expect(lines.find((line) => line.startsWith("  new"))).toMatch(/^ {2}new\s+new\s+4\/4/);
    expect(lines.some((line) => line.startsWith("Step:"))).toBe(false);
  });
});
