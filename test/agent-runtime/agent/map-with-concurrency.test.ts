import { describe, expect, it } from "vitest";
import { mapWithConcurrency } from "../../../agent-runtime/agent/map-with-concurrency.ts";

describe("mapWithConcurrency", () => {
  it("keeps the items' order with at most `limit` in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3, 0, 6], 3, async (ms) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight--;
      return ms * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(most).toBe(3);
  });

  it("answers an empty list without calling the work", async () => {
    expect(await mapWithConcurrency([], 4, async () => 1)).toEqual([]);
  });
});
