/**
 * Columns padded to their widest cell, separated by three spaces, as `kubectl get` prints them.
 * The last column is not padded, so lines carry no trailing blanks.
 */
export function textTable(rows: ReadonlyArray<ReadonlyArray<string>>): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("   ")
      .trimEnd(),
  );
}
