import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { builtinQuery } from "../../../operator/analysis/builtin-queries.ts";
import { BUILTIN_METRICS } from "../../../operator/api/analysis-spec.ts";

const docs = readFileSync(new URL("../../../docs/analysis.md", import.meta.url), "utf8");

describe("docs/analysis.md", () => {
  it("shows the builtin queries the operator runs", () => {
    for (const metric of BUILTIN_METRICS) {
      const query = builtinQuery(metric, { namespace: "NS", agent: "NAME", revision: "REV" }, "W").replaceAll(
        'namespace="NS",agent="NAME",revision="REV"',
        "S",
      );
      const row = docs.split("\n").find((line) => line.startsWith(`| \`${metric}\` |`));
      expect(row?.replaceAll("\\|", "|"), metric).toBe(`| \`${metric}\` | \`${query}\` |`);
    }
  });
});
