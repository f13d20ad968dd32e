/** `rows` as a Markdown table of `columns`, in that order, for a benchmark's summary. */
export function markdownTable(
  rows: ReadonlyArray<Record<string, unknown>>,
  columns: readonly string[],
): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(columns),
    line(columns.map(() => "---")),
    ...rows.map((row) => line(columns.map((c) => String(row[c])))),
  ].join("\n");
}

/** Two decimals, as the benchmarks' JSON holds its figures. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
