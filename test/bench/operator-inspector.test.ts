// The benchmarks' reading of memory after a full GC, against a real Node process.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INSPECTOR_FLAG, inspectorUrl, memoryAfterFullGc } from "../support/operator-inspector.ts";
import { waitFor } from "../support/wait-for.ts";

// Holds 40 MiB reachable, and 150 MiB that it made at start-up (promoted to the old generation)
// and dropped: garbage that only a full GC frees.
const SCRIPT = `
globalThis.kept = Array.from({ length: 40 }, () => new Array(128 * 1024).fill(1.5));
let dropped = Array.from({ length: 150 }, () => new Array(128 * 1024).fill(2.5));
setTimeout(() => { dropped = undefined; console.error("dropped"); }, 50);
setInterval(() => {}, 1000);
`;

describe("memoryAfterFullGc", () => {
  const logs: string[] = [];
  const child = spawn(process.execPath, [INSPECTOR_FLAG, "--max-semi-space-size=2", "-e", SCRIPT], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr.on("data", (chunk: Buffer) => logs.push(chunk.toString()));

  beforeAll(() => waitFor("the garbage to be dropped", () => logs.join("").includes("dropped"), 10_000));
  afterAll(() => {
    child.kill();
  });

  it("reads the heap that is still reachable, after the garbage is collected", async () => {
    const reading = await memoryAfterFullGc(inspectorUrl(logs) ?? "");
    // 40 arrays of 128 Ki doubles: 40 MiB kept; the 150 MiB dropped are not counted.
    expect(reading.heapUsedMB).toBeGreaterThan(40);
    expect(reading.heapUsedMB).toBeLessThan(60);
    expect(reading.rssMB).toBeGreaterThan(reading.heapUsedMB);
  });

  it("finds the address in what Node printed", () => {
    expect(inspectorUrl(["x\n", "Debugger listening on ws://127.0.0.1:9229/ab-cd\nFor help\n"])).toBe(
      "ws://127.0.0.1:9229/ab-cd",
    );
    expect(inspectorUrl(["nothing"])).toBeUndefined();
  });
});
