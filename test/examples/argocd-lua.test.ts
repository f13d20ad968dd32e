// examples/argocd/argocd-cm.yaml run the way Argo CD runs it (gopher-lua, Argo CD's sandbox and
// its JSON <-> Lua conversion, via argocd-lua) against AgentDeployments recorded from a real API
// server in every phase.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ANNOTATIONS } from "../../operator/api/constants.ts";
import { parseAgentDeployment } from "../../operator/api/parse-agent-deployment.ts";
import {
  ArgoCDLuaError,
  argocdActions,
  argocdHealth,
  argocdLuaAvailable,
  argocdRunAction,
} from "../support/argocd-lua.ts";

const root = path.join(import.meta.dirname, "..", "..");
const argocdCm = (
  parse(readFileSync(path.join(root, "examples/argocd/argocd-cm.yaml"), "utf8")) as {
    data: Record<string, string>;
  }
).data;
const fixturesDir = path.join(root, "test/fixtures/argocd");
const FIXTURES = readdirSync(fixturesDir)
  .filter((file) => file.endsWith(".yaml"))
  .map((file) => file.replace(/\.yaml$/, ""))
  .sort();

type Obj = Record<string, unknown> & {
  metadata: Record<string, unknown> & { generation?: number; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
};

function fixture(name: string): Obj {
  return parse(readFileSync(path.join(fixturesDir, `${name}.yaml`), "utf8")) as Obj;
}

const ACTIONS = ["abort", "pause", "promote", "promote-full", "restart", "resume", "retry"];
const ANNOTATION_ACTIONS = [
  ["promote", ANNOTATIONS.promote],
  ["promote-full", ANNOTATIONS.promoteFull],
  ["abort", ANNOTATIONS.abort],
  ["retry", ANNOTATIONS.retry],
] as const;

const suite = "Argo CD health and actions for AgentDeployment (examples/argocd/argocd-cm.yaml)";

describe.skipIf(!argocdLuaAvailable(suite))(suite, () => {
  it("has a fixture of every situation the scripts tell apart", () => {
    expect(FIXTURES).toEqual([
      "aborted",
      "blue-green-preview",
      "canary-paused",
      "canary-progressing",
      "generation-not-observed",
      "healthy",
      "no-status",
      "paused-by-spec",
      "stalled-old-revision-serving",
    ]);
  });

  it.each(FIXTURES)("fixture %s is an AgentDeployment the operator's schema accepts", (name) => {
    const result = parseAgentDeployment(fixture(name));
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  describe("health", () => {
    it.each([
      ["no-status", "Progressing", "Waiting for the Agentry operator to observe the AgentDeployment"],
      ["generation-not-observed", "Progressing", "Waiting for the Agentry operator to observe generation 3"],
      ["healthy", "Healthy", "revision 5c9f7d6b8a: 10/10 available"],
      ["canary-progressing", "Progressing", "canary step 3/6: weight 20%"],
      ["canary-paused", "Suspended", "canary step 6/6: weight 50%, paused until promoted"],
      [
        "blue-green-preview",
        "Suspended",
        "blue-green: preview 84b2e1c07f ready (1/1), waiting for promotion",
      ],
      [
        "aborted",
        "Degraded",
        "rollout aborted: analysis metric errors failed (0.12 > 0.05); revision 5c9f7d6b8a serves",
      ],
      [
        "stalled-old-revision-serving",
        "Degraded",
        "rollout stalled, revision 5c9f7d6b8a keeps serving (2 available): Secret agents/openai-v2 does not exist",
      ],
      ["paused-by-spec", "Suspended", "paused: revision 84b2e1c07f has 2/4 pods, 4 available in total"],
    ])("%s: %s", async (name, status, message) => {
      expect(await argocdHealth({ argocdCm, obj: fixture(name) })).toEqual({ status, message });
    });

    const observed = (status: Record<string, unknown>) => {
      const obj = fixture("healthy");
      return { ...obj, status: { observedGeneration: obj.metadata.generation, ...status } };
    };

    it("an aborted rollout is Degraded whatever the phase says", async () => {
      const obj = observed({ phase: "Healthy", aborted: true, message: "rollout aborted" });
      expect(await argocdHealth({ argocdCm, obj })).toEqual({
        status: "Degraded",
        message: "rollout aborted",
      });
    });

    it("an aborted rollout without a message still says why it is Degraded", async () => {
      const obj = observed({ phase: "Degraded", aborted: true });
      expect(await argocdHealth({ argocdCm, obj })).toEqual({
        status: "Degraded",
        message: "The rollout was aborted",
      });
    });

    it("a phase this script does not know is Unknown, with the operator's message", async () => {
      const obj = observed({ phase: "Hibernating", message: "zzz" });
      expect(await argocdHealth({ argocdCm, obj })).toEqual({ status: "Unknown", message: "zzz" });
    });

    it("an observed generation without a phase is Progressing", async () => {
      expect(await argocdHealth({ argocdCm, obj: observed({}) })).toEqual({
        status: "Progressing",
        message: "Waiting for the Agentry operator to report a phase",
      });
    });

    it("a phase without a message has no message", async () => {
      expect(await argocdHealth({ argocdCm, obj: observed({ phase: "Healthy" }) })).toEqual({
        status: "Healthy",
      });
    });
  });

  describe("action discovery", () => {
    it.each([
      ["no-status", ["pause"]],
      ["generation-not-observed", ["pause", "restart"]],
      ["healthy", ["pause", "restart"]],
      ["canary-progressing", ["abort", "pause", "promote", "promote-full", "restart"]],
      ["canary-paused", ["abort", "pause", "promote", "promote-full", "restart"]],
      ["blue-green-preview", ["abort", "pause", "promote", "promote-full", "restart"]],
      ["aborted", ["pause", "restart", "retry"]],
      // A rolling update has no steps to promote, but can be aborted back to the stable revision.
      ["stalled-old-revision-serving", ["pause", "restart"]],
      ["paused-by-spec", ["restart", "resume"]],
    ])("%s: enabled %j", async (name, enabled) => {
      const actions = await argocdActions({ argocdCm, obj: fixture(name) });
      expect(actions.map((action) => action.name)).toEqual(ACTIONS);
      expect(actions.filter((action) => !action.disabled).map((action) => action.name)).toEqual(enabled);
    });

    it("every action has a name and an icon for the menu", async () => {
      const actions = await argocdActions({ argocdCm, obj: fixture("canary-paused") });
      for (const action of actions) {
        expect(action.displayName).toMatch(/^[A-Z]/);
        expect(action.iconClass).toMatch(/^fa-solid fa-fw fa-[a-z-]+$/);
      }
    });
  });

  describe("actions", () => {
    const cases = FIXTURES.flatMap((name) => ANNOTATION_ACTIONS.map(([action, key]) => [name, action, key]));

    it.each(cases)("%s, %s: adds only the annotation %s", async (name, action, key) => {
      const live = fixture(name);
      const [result, ...others] = await argocdRunAction({ argocdCm, obj: live, action });
      expect(others).toEqual([]);
      expect(result?.operation).toBe("patch");
      expect(result?.patch).toEqual({ metadata: { annotations: { [key]: "true" } } });
      // The whole object comes back as it was, empty objects and arrays included.
      const expected = structuredClone(live);
      expected.metadata.annotations = { ...expected.metadata.annotations, [key]: "true" };
      expect(result?.resource).toEqual(expected);
    });

    it.each(FIXTURES)("%s, restart: the annotation is the time of the request (UTC)", async (name) => {
      const before = Math.floor(Date.now() / 1000) * 1000;
      const [result] = await argocdRunAction({ argocdCm, obj: fixture(name), action: "restart" });
      const after = Date.now();
      const patch = result?.patch as { metadata?: { annotations?: Record<string, string> } } | null;
      const value = patch?.metadata?.annotations?.[ANNOTATIONS.restart] ?? "";
      expect(result?.patch).toEqual({ metadata: { annotations: { [ANNOTATIONS.restart]: value } } });
      expect(value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const at = Date.parse(value);
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    });

    it.each(FIXTURES)("%s, pause and resume: set spec.paused and nothing else", async (name) => {
      const live = fixture(name);
      const paused = live.spec.paused === true;
      const [pause] = await argocdRunAction({ argocdCm, obj: live, action: "pause" });
      const [resume] = await argocdRunAction({ argocdCm, obj: live, action: "resume" });
      // A patch that changes nothing is not sent at all.
      expect(pause?.patch).toEqual(paused ? null : { spec: { paused: true } });
      expect(resume?.patch).toEqual(paused ? { spec: { paused: false } } : null);
      expect(pause?.resource).toEqual({ ...live, spec: { ...live.spec, paused: true } });
      expect(resume?.resource).toEqual({ ...live, spec: { ...live.spec, paused: false } });
    });

    it("an action that is not defined is an error naming it", async () => {
      await expect(
        argocdRunAction({ argocdCm, obj: fixture("healthy"), action: "skip-step" }),
      ).rejects.toThrow('argocd-cm defines no action "skip-step" for agentry.dev/AgentDeployment');
    });
  });

  // What a script may rely on in Argo CD: the scripts above are written against this sandbox.
  describe("Argo CD's sandbox", () => {
    const health = (script: string) =>
      argocdHealth({
        argocdCm: { "resource.customizations.health.agentry.dev_AgentDeployment": script },
        obj: fixture("healthy"),
      });

    it("has no string library unless useOpenLibs is set", async () => {
      const script = 'return { status = "Healthy", message = string.format("%d", 1) }';
      await expect(health(script)).rejects.toThrow(ArgoCDLuaError);
      await expect(
        argocdHealth({
          argocdCm: {
            "resource.customizations.health.agentry.dev_AgentDeployment": script,
            "resource.customizations.useOpenLibs.agentry.dev_AgentDeployment": "true",
          },
          obj: fixture("healthy"),
        }),
      ).resolves.toEqual({ status: "Healthy", message: "1" });
    });

    it("is Lua 5.1: numbers are floats that print without a fraction when whole", async () => {
      expect(
        await health('return { status = "Healthy", message = obj.metadata.generation .. "/" .. 3 / 2 }'),
      ).toEqual({
        status: "Healthy",
        message: "1/1.5",
      });
    });

    it("reports a script error without a Lua stack trace", async () => {
      const error = await health("return obj.nothing.here").catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ArgoCDLuaError);
      expect((error as Error).message).toMatch(/attempt to index a non-table object\(nil\)/);
      expect((error as Error).message).not.toMatch(/stack traceback/);
    });

    it("stops a script after one second", { timeout: 10_000 }, async () => {
      await expect(health("while true do end")).rejects.toThrow(/context deadline exceeded/);
    });

    it("reads a status it does not know as Unknown", async () => {
      expect(await health('return { status = "Fine" }')).toEqual({
        status: "Unknown",
        message: "Lua returned an invalid health status",
      });
    });
  });
});
