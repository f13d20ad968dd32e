/** The table the runtime benchmark prints: one row a figure, one column a target. */
import type { BenchResult } from "./bench-result.ts";

const na = (value: number | string | null | undefined) =>
  value === null || value === undefined ? "-" : String(value);

export function resultRows(result: BenchResult): string[][] {
  const { throughput, loneRequests, latencyAtRate, runtimeOverheadAtRate: overhead } = result;
  const rate = latencyAtRate.rate;
  const ratio = result.requestsPerCpuSecondVsLitellm;
  return [
    ["", "runtime", "floor", "litellm", "target"],
    [
      "max rps",
      String(throughput.runtime.rps),
      String(throughput.floor.rps),
      na(throughput.litellm?.rps),
      "",
    ],
    [
      "CPU ms/request",
      String(result.cpuMsPerRequest),
      String(result.floorCpuMsPerRequest),
      na(result.litellmCpuMsPerRequest),
      "",
    ],
    ["requests/CPU-s vs litellm", na(ratio === null ? null : `${ratio}x`), "", "1x", ">= 20x"],
    [
      "lone p50/p99 ms",
      `${loneRequests.runtime.p50Ms}/${loneRequests.runtime.p99Ms}`,
      `${loneRequests.floor.p50Ms}/${loneRequests.floor.p99Ms}`,
      loneRequests.litellm ? `${loneRequests.litellm.p50Ms}/${loneRequests.litellm.p99Ms}` : "-",
      "",
    ],
    [
      `p50/p99 ms @${rate}rps`,
      `${latencyAtRate.runtime.p50Ms}/${latencyAtRate.runtime.p99Ms}`,
      `${latencyAtRate.floor.p50Ms}/${latencyAtRate.floor.p99Ms}`,
      "-",
      "",
    ],
    [`own overhead p50 ms @${rate}rps`, `${overhead.p50Ms} (<= ${overhead.p50AtMostMs})`, "", "", "<= 1"],
    [`own overhead p99 ms @${rate}rps`, `${overhead.p99Ms} (<= ${overhead.p99AtMostMs})`, "", "", "<= 5"],
    [
      "errors",
      String(throughput.runtime.errors + latencyAtRate.runtime.errors),
      String(throughput.floor.errors + latencyAtRate.floor.errors),
      na(throughput.litellm?.errors),
      "0",
    ],
    [
      "idle RSS MB",
      String(result.idleRssMB),
      String(result.floorIdleRssMB),
      na(result.litellmIdleRssMB),
      "<= 150",
    ],
    ["loaded RSS MB", String(result.loadedRssMB), "", na(result.litellmLoadedRssMB), ""],
  ];
}

/** The rows as lines, every column padded to its widest cell and two spaces apart. */
export function formatTable(rows: string[][]): string[] {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  "));
}
