import { describe, expect, it } from "vitest";
import { actionProblem } from "../../../../operator/cli/plugin/action-check.ts";
import { canaryAgent } from "./agent-fixtures.ts";

describe("actionProblem", () => {
  const rolling = canaryAgent({ stableRevision: "old", updateRevision: "new", phase: "Paused" });
  const settled = canaryAgent({ stableRevision: "old", updateRevision: "old", phase: "Healthy" });
  const aborted = canaryAgent({ stableRevision: "old", updateRevision: "new", aborted: true });
  const unseen = canaryAgent({ stableRevision: "old", updateRevision: "old", observedGeneration: 2 });
  const rollingUpdate = canaryAgent({}, { strategy: { type: "RollingUpdate" } });

  it.each([
    ["promote", rolling, undefined],
    ["promoteFull", rolling, undefined],
    ["abort", rolling, undefined],
    ["restart", settled, undefined],
    ["promote", settled, "no rollout of bot is in progress: revision old serves all traffic"],
    ["abort", aborted, "the rollout of bot is already aborted"],
    [
      "promote",
      aborted,
      "the rollout of revision new is aborted; `kubectl agentry retry bot` starts it again",
    ],
    ["retry", aborted, undefined],
    ["retry", rolling, "the rollout of bot is not aborted; there is nothing to retry"],
    ["promote", unseen, undefined],
    [
      "promoteFull",
      rollingUpdate,
      "bot rolls out with RollingUpdate; promote acts on Canary and BlueGreen rollouts only",
    ],
  ] as const)("%s on %#", (action, agent, problem) => {
    expect(actionProblem(agent, action)).toBe(problem);
  });
});
