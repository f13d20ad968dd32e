// argocd-lua (test/cluster/go/lua) gives the results Argo CD gives: Argo CD's own tests of its
// built-in Argo Rollouts scripts (test/fixtures/argocd-upstream), run through it.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { argocdActions, argocdHealth, argocdLuaAvailable, argocdRunAction } from "../support/argocd-lua.ts";

const dir = path.join(import.meta.dirname, "..", "fixtures", "argocd-upstream", "Rollout");
const read = (file: string) => readFileSync(path.join(dir, file), "utf8");
const load = (file: string) => parse(read(file)) as Record<string, unknown>;

const actionNames = readdirSync(path.join(dir, "actions"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== "testdata")
  .map((entry) => entry.name);

// Argo CD runs its built-in scripts with all of Lua's libraries; an argocd-cm key with
// useOpenLibs is the same.
const argocdCm = {
  "resource.customizations.health.argoproj.io_Rollout": read("health.lua"),
  "resource.customizations.useOpenLibs.argoproj.io_Rollout": "true",
  "resource.customizations.actions.argoproj.io_Rollout": stringify({
    "discovery.lua": read("actions/discovery.lua"),
    definitions: actionNames.map((name) => ({ name, "action.lua": read(`actions/${name}/action.lua`) })),
  }),
};

interface HealthTest {
  inputPath: string;
  healthStatus: { status: string; message?: string };
}
interface DiscoveryTest {
  inputPath: string;
  result: { name: string; disabled?: boolean; displayName?: string }[];
}
interface ActionTest {
  action: string;
  inputPath: string;
  expectedOutputPath: string;
}

const healthTests = (load("health_test.yaml") as { tests: HealthTest[] }).tests;
const actionTests = load("actions/action_test.yaml") as {
  discoveryTests: DiscoveryTest[];
  actionTests: ActionTest[];
};

/**
 * As Argo CD's test compares: spec.restartAt, the one value that depends on the clock, is
 * normalized, and a null is no field (its expected files write `abort: null` for a field the
 * script set to nil, which a Lua table cannot hold).
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value)
    .filter(([, entry]) => entry !== null)
    .map(([key, entry]) => [key, normalize(entry)]);
  const obj = Object.fromEntries(entries) as Record<string, unknown> & { spec?: Record<string, unknown> };
  if (obj.spec?.restartAt !== undefined) obj.spec.restartAt = "0001-01-01T00:00:00Z";
  return obj;
}

const suite = "argocd-lua gives Argo CD's results on Argo CD's own Rollout script tests";

describe.skipIf(!argocdLuaAvailable(suite))(suite, () => {
  it.each(healthTests.map((test) => [test.inputPath, test.healthStatus] as const))(
    "health of %s",
    async (inputPath, expected) => {
      const health = await argocdHealth({ argocdCm, obj: load(inputPath) });
      // Argo CD's test compares Go structs, where an empty message and none are the same.
      expect({ message: "", ...health }).toEqual({ message: "", ...expected });
    },
  );

  it.each(actionTests.discoveryTests.map((test) => [test.inputPath, test.result] as const))(
    "actions of %s",
    async (inputPath, expected) => {
      const actions = await argocdActions({ argocdCm, obj: load(`actions/${inputPath}`) });
      const byName = (list: { name: string; disabled?: boolean }[]) =>
        list
          .map((action) => ({ ...action, disabled: action.disabled === true }))
          .sort((a, b) => a.name.localeCompare(b.name));
      expect(byName(actions)).toEqual(byName(expected));
    },
  );

  it.each(
    actionTests.actionTests.map((test) => [test.action, test.inputPath, test.expectedOutputPath] as const),
  )("%s on %s gives %s", async (action, inputPath, expectedOutputPath) => {
    const [result, ...others] = await argocdRunAction({
      argocdCm,
      obj: load(`actions/${inputPath}`),
      action,
    });
    expect(others).toEqual([]);
    expect(result?.operation).toBe("patch");
    expect(normalize(result?.resource ?? {})).toEqual(normalize(load(`actions/${expectedOutputPath}`)));
  });
});
