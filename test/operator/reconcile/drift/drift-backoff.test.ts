import { describe, expect, it } from "vitest";
import { DriftBackoff } from "../../../../operator/reconcile/drift/drift-backoff.ts";

const minute = 60_000;
const object = "agents/bot/Service/bot";

describe("DriftBackoff", () => {
  it("repairs up to the limit, then pauses and reports the fight once", () => {
    const backoff = new DriftBackoff({ windowMs: 5 * minute, limit: 3, baseMs: minute, maxMs: 8 * minute });
    const decisions = [0, 1, 2, 3, 4].map((second) =>
      backoff.decide(object, ["spec.selector"], second * 1000),
    );
    expect(decisions.map((decision) => decision.repair)).toEqual([true, true, true, false, false]);
    expect(decisions[3]).toMatchObject({
      startedFight: true,
      pauseMs: minute,
      fight: { fields: ["spec.selector"] },
    });
    expect(decisions[4]).toMatchObject({ startedFight: false });
  });

  it("tries once after each pause and doubles the pause when the field flips back again", () => {
    const backoff = new DriftBackoff({ windowMs: 5 * minute, limit: 3, baseMs: minute, maxMs: 3 * minute });
    let now = 0;
    for (let repair = 0; repair < 3; repair++) backoff.decide(object, ["spec.selector"], now++);
    const pauses: number[] = [];
    for (let fight = 0; fight < 4; fight++) {
      const paused = backoff.decide(object, ["spec.selector"], now);
      if (paused.repair) throw new Error("expected a pause");
      pauses.push(paused.pauseMs);
      now += paused.pauseMs;
      expect(backoff.decide(object, ["spec.selector"], now).repair).toBe(true);
      now += 1000;
    }
    expect(pauses).toEqual([minute, 2 * minute, 3 * minute, 3 * minute]);
  });

  it("counts only repairs within the window, and forgets a calm object", () => {
    const backoff = new DriftBackoff({ windowMs: minute, limit: 2, baseMs: minute, maxMs: minute });
    expect(backoff.decide(object, [], 0).repair).toBe(true);
    expect(backoff.decide(object, [], 2 * minute).repair).toBe(true);
    expect(backoff.decide(object, [], 4 * minute).repair).toBe(true);
    backoff.forgetAgent("agents/bot");
    expect(backoff.size).toBe(0);
  });
});
