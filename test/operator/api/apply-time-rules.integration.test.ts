import { expect, it } from "vitest";
import { API_GROUP_VERSION, KIND } from "../../../operator/api/constants.ts";
import { formatIssuePath, parseAgentDeployment } from "../../../operator/api/parse-agent-deployment.ts";
import { apiServerErrorFields } from "../../support/api-server-errors.ts";
import { BAD_MANIFESTS, GOOD_MANIFESTS } from "../../support/bad-manifests.ts";
import { describeWithCluster, useTestNamespace } from "../../support/cluster.ts";

const offlineFields = (manifest: unknown) => {
  const result = parseAgentDeployment(manifest);
  return result.ok ? [] : [...new Set(result.issues.map((issue) => formatIssuePath(issue.path)))].sort();
};

// The API server names a duplicate list-map key by its item (tools[1]); agentry validate names the list.
const listOfDuplicate = (message: string) => (field: string) =>
  new RegExp(`${field.replace(/[.[\]]/g, "\\$&")}: Duplicate value`).test(message)
    ? field.replace(/\[\d+\]$/, "")
    : field;

// The table of test/support/bad-manifests.ts, one row per rule and pattern of the schema: what
// `agentry validate` refuses, the API server refuses at `kubectl apply` time, on the same fields.
describeWithCluster("the API server rejects what agentry validate rejects", (cluster) => {
  const ns = useTestNamespace(cluster);
  const dryRun = (manifest: unknown, ...flags: string[]) =>
    cluster
      .kubectl(
        ["apply", "--dry-run=server", "--validate=strict", ...flags, "-n", ns.name, "-f", "-"],
        JSON.stringify(manifest),
      )
      .then(
        () => "",
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );

  it.each(
    BAD_MANIFESTS.map((row) => [row.field, JSON.stringify(row.manifest.spec).slice(0, 120), row] as const),
  )("%s in %s", async (_field, _spec, row) => {
    const error = await dryRun(row.manifest);
    expect(error, "the API server accepted it").not.toBe("");
    const serverFields = [...new Set(apiServerErrorFields(error).map(listOfDuplicate(error)))].sort();
    expect(serverFields, error).toContain(row.field);
    expect(serverFields, error).toEqual(offlineFields(row.manifest));
    if (!error.includes("Duplicate value") && !error.includes("should match")) {
      expect(error).toContain(row.message);
    }
  });

  it.each(GOOD_MANIFESTS.map((manifest) => [JSON.stringify(manifest.spec).slice(0, 100), manifest] as const))(
    "accepts %s",
    async (_spec, manifest) => {
      expect(await dryRun(manifest)).toBe("");
    },
  );

  it("rejects a 2 MB systemPrompt through server-side apply with one error, on the field", async () => {
    const manifest = {
      apiVersion: API_GROUP_VERSION,
      kind: KIND,
      metadata: { name: "huge-prompt" },
      spec: { agent: { model: "gpt-4o-mini", systemPrompt: "x".repeat(2 * 1024 * 1024) } },
    };
    const error = await dryRun(manifest, "--server-side", "--field-manager=test");
    expect(apiServerErrorFields(error), error.slice(0, 2000)).toEqual(["spec.agent.systemPrompt"]);
    expect(error).toContain("must be at most 65536 characters");
    expect(error).not.toContain("<nil>");
    // Nor the 2 MB value quoted back, as a rule on the string itself would.
    expect(error.length).toBeLessThan(1000);
  });
});
