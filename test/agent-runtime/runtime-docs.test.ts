import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { METRIC_NAMES } from "../../agent-runtime/contract/metric-names.ts";
import { RUNTIME_ENV_NAMES } from "../../agent-runtime/contract/runtime-env.ts";
import { ERROR_STATUS } from "../../agent-runtime/errors.ts";

const docs = readFileSync(new URL("../../docs/runtime.md", import.meta.url), "utf8");

describe("docs/runtime.md", () => {
  it("documents every environment variable, error code and metric", () => {
    for (const name of RUNTIME_ENV_NAMES) expect(docs, name).toContain(`| \`${name}\` |`);
    for (const code of Object.keys(ERROR_STATUS)) expect(docs, code).toContain(`\`${code}\``);
    for (const metric of Object.values(METRIC_NAMES)) expect(docs, metric).toContain(`| \`${metric}\` |`);
  });
});
