import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { IMAGE_REFERENCE_PATTERN } from "../../../operator/api/image-reference.ts";
import { REPO_ROOT } from "../../support/cluster-env.ts";

const schema = JSON.parse(
  readFileSync(path.join(REPO_ROOT, "charts", "agentry", "values.schema.json"), "utf8"),
);

describe("the chart's values schema", () => {
  it("checks operator.runtimeImage with the operator's own image reference grammar (or empty)", () => {
    const runtimeImage = schema.properties.operator.properties.runtimeImage;
    expect(runtimeImage.pattern).toBe(`^$|${IMAGE_REFERENCE_PATTERN}`);
    const pattern = new RegExp(runtimeImage.pattern);
    expect(pattern.test("ghcr.io/agentry/agent-runtime:0.1.0")).toBe(true);
    expect(pattern.test("")).toBe(true);
    expect(pattern.test("not a valid ref!!")).toBe(false);
  });
});
