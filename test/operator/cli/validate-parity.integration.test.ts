import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { validateManifests } from "../../../operator/cli/validate-manifests.ts";
import { apiServerErrorFields } from "../../support/api-server-errors.ts";
import { describeWithCluster, useTestNamespace } from "../../support/cluster.ts";
import { REPO_ROOT } from "../../support/cluster-env.ts";

const INVALID_DIR = path.join(REPO_ROOT, "test", "fixtures", "invalid");
const agentFixtures = readdirSync(INVALID_DIR)
  .filter((file) => file.endsWith(".yaml"))
  .filter((file) => {
    const manifest = parse(readFileSync(path.join(INVALID_DIR, file), "utf8")) as { apiVersion?: string };
    return manifest.apiVersion === "agentry.dev/v1alpha1";
  })
  .sort();

// `agentry validate` and the API server must tell a user the same thing: every problem at once,
// each on the same field.
describeWithCluster("agentry validate says what the API server says", (cluster) => {
  const ns = useTestNamespace(cluster);

  it.each(agentFixtures)("test/fixtures/invalid/%s", async (file) => {
    const full = path.join(INVALID_DIR, file);
    const serverError = await cluster
      .kubectl(["apply", "--dry-run=server", "--validate=strict", "-n", ns.name, "-f", full])
      .then(
        () => "",
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
    expect(serverError, "the API server accepted it").not.toBe("");
    const offline = validateManifests(readFileSync(full, "utf8"), file).errors.map((error) => error.path);
    expect([...new Set(offline)].sort(), serverError).toEqual(apiServerErrorFields(serverError));
  });
});
