import { describe, expect, it } from "vitest";
import { planUndo } from "../../../../operator/cli/plugin/undo-plan.ts";
import { canaryAgent, HISTORY } from "./agent-fixtures.ts";

describe("planUndo", () => {
  it("sets image and model back to those of the history entry, conditional on the resourceVersion", () => {
    const plan = planUndo(
      canaryAgent({ history: HISTORY }, { image: "ghcr.io/agentry/agent-runtime:1.2.0" }),
      1,
    );
    expect(plan.patch).toEqual({
      metadata: { resourceVersion: "42" },
      spec: { image: "ghcr.io/agentry/agent-runtime:1.1.0", agent: { model: "gpt-4o-mini" } },
    });
    expect(plan.changes).toEqual([
      "spec.image: ghcr.io/agentry/agent-runtime:1.2.0 -> ghcr.io/agentry/agent-runtime:1.1.0",
      "spec.agent.model: gpt-4o -> gpt-4o-mini",
    ]);
    expect(plan.target).toMatchObject({ position: 1, revision: "old", outcome: "Promoted" });
  });

  it("leaves spec.image unset when the entry ran the same default image", () => {
    const [latest, previous] = HISTORY as [(typeof HISTORY)[0], (typeof HISTORY)[1]];
    const history = [latest, { ...previous, image: latest.image }];
    const plan = planUndo(canaryAgent({ history }), 1);
    expect(plan.patch.spec).toEqual({ agent: { model: "gpt-4o-mini" } });
    expect(plan.changes).toEqual(["spec.agent.model: gpt-4o -> gpt-4o-mini"]);
  });

  it("refuses when image and model already match: nothing else is recorded to restore", () => {
    const history = [
      HISTORY[0],
      { ...HISTORY[0], revision: "older", outcome: "Promoted" as const },
    ] as typeof HISTORY;
    expect(() => planUndo(canaryAgent({ history }), 1)).toThrow(
      /history entry 1 \(revision older\) has the image and model the spec asks for already .* not recorded in status.history/,
    );
  });

  it("refuses positions the history does not have", () => {
    expect(() => planUndo(canaryAgent({ history: HISTORY.slice(0, 1) }), 1)).toThrow(
      "bot has no earlier revision in status.history to go back to",
    );
    expect(() => planUndo(canaryAgent({ history: HISTORY }), 5)).toThrow(
      "status.history of bot has entries 0 to 1; there is no entry 5",
    );
  });
});
