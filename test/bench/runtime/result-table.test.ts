import { describe, expect, it } from "vitest";
import { formatTable } from "../../../bench/runtime/result-table.ts";

describe("formatTable", () => {
  it.each([
    {
      name: "every column as wide as its widest cell, two spaces apart",
      rows: [
        ["", "runtime", "floor"],
        ["max rps", "483", "1619"],
        ["errors", "0", "0"],
      ],
      expected: ["         runtime  floor", "max rps  483      1619 ", "errors   0        0    "],
    },
    { name: "no rows", rows: [], expected: [] },
  ])("$name", ({ rows, expected }) => {
    expect(formatTable(rows)).toEqual(expected);
  });
});
