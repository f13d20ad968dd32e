import { readFileSync } from "node:fs";
import path from "node:path";
// @ts-expect-error fengari ships no types
import { lauxlib, lua, lualib, to_luastring } from "fengari";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = path.join(import.meta.dirname, "..", "..");
const configMap = parse(readFileSync(path.join(root, "examples/argocd/argocd-cm-health.yaml"), "utf8")) as {
  data: Record<string, string>;
};
const script = configMap.data["resource.customizations.health.agentry.dev_AgentDeployment"] ?? "";

/** A JSON value as a Lua table constructor. */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(",")}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([key, child]) => `[${JSON.stringify(key)}]=${toLua(child)}`)
    .join(",")}}`;
}

/** Runs the health script the way Argo CD does: `obj` is the resource, the script returns hs. */
function health(obj: unknown): { status: string; message: string } {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const program = `obj = ${toLua(obj)}\nlocal function check()\n${script}\nend\nlocal hs = check()\nreturn hs.status, hs.message`;
  if (lauxlib.luaL_dostring(L, to_luastring(program)) !== lua.LUA_OK) {
    throw new Error(lua.lua_tojsstring(L, -1));
  }
  return { status: lua.lua_tojsstring(L, -2), message: lua.lua_tojsstring(L, -1) };
}

const agent = (generation: number, status?: Record<string, unknown>) => ({
  apiVersion: "agentry.dev/v1alpha1",
  kind: "AgentDeployment",
  metadata: { name: "bot", generation },
  ...(status ? { status } : {}),
});

describe("Argo CD health for AgentDeployment", () => {
  it.each([
    [
      "no status yet",
      agent(1),
      "Progressing",
      "Waiting for the Agentry operator to observe the AgentDeployment",
    ],
    [
      "a spec the operator has not observed",
      agent(3, { observedGeneration: 2, phase: "Healthy", message: "old" }),
      "Progressing",
      "Waiting for the Agentry operator to observe generation 3",
    ],
    [
      "done",
      agent(2, { observedGeneration: 2, phase: "Healthy", message: "revision a: 2/2 available" }),
      "Healthy",
      "revision a: 2/2 available",
    ],
    [
      "rolling",
      agent(2, { observedGeneration: 2, phase: "Progressing", message: "rolling update" }),
      "Progressing",
      "rolling update",
    ],
    [
      "paused",
      agent(2, { observedGeneration: 2, phase: "Paused", message: "paused" }),
      "Suspended",
      "paused",
    ],
    [
      "stalled",
      agent(2, { observedGeneration: 2, phase: "Degraded", message: "Secret openai does not exist" }),
      "Degraded",
      "Secret openai does not exist",
    ],
  ])("%s", (_case, obj, status, message) => {
    expect(health(obj)).toEqual({ status, message });
  });
});
