import { describe, expect, it } from "vitest";
import { addCpuUsed, type CpuReading, cpuPerRequest } from "../../../bench/runtime/process-readings.ts";

describe("cpuPerRequest", () => {
  it.each<{ name: string; used: CpuReading; requests: number; expected: CpuReading }>([
    {
      name: "ms per request, three decimals",
      used: { runtime: 1000, stub: 250 },
      requests: 3000,
      expected: { runtime: 0.333, stub: 0.083 },
    },
    {
      name: "a process without a pid stays unknown",
      used: { loadGenerator: 900, redis: Number.NaN },
      requests: 1000,
      expected: { loadGenerator: 0.9, redis: Number.NaN },
    },
    { name: "no processes", used: {}, requests: 10, expected: {} },
  ])("$name", ({ used, requests, expected }) => {
    expect(cpuPerRequest(used, requests)).toEqual(expected);
  });
});

describe("addCpuUsed", () => {
  it.each<{ name: string; into: CpuReading; before: CpuReading; after: CpuReading; expected: CpuReading }>([
    {
      name: "adds what each used between the snapshots to what it had",
      into: { runtime: 10 },
      before: { runtime: 100, stub: 5 },
      after: { runtime: 150, stub: 7 },
      expected: { runtime: 60, stub: 2 },
    },
    {
      name: "a process missing from the first snapshot counts from zero",
      into: {},
      before: { runtime: 100 },
      after: { runtime: 100, loadGenerator: 3 },
      expected: { runtime: 0, loadGenerator: 3 },
    },
  ])("$name", ({ into, before, after, expected }) => {
    const totals: CpuReading = { ...into };
    addCpuUsed(totals, before, after);
    expect(totals).toEqual(expected);
  });

  it("sums rounds, as the throughput phase does", () => {
    const totals: CpuReading = {};
    addCpuUsed(totals, { runtime: 0 }, { runtime: 40 });
    addCpuUsed(totals, { runtime: 90 }, { runtime: 150 });
    expect(cpuPerRequest(totals, 200)).toEqual({ runtime: 0.5 });
  });
});
