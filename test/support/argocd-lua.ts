import { existsSync } from "node:fs";
import path from "node:path";
import { COMPONENTS, componentDir } from "./cluster-components.ts";
import type { ClusterEnv } from "./cluster-env.ts";
import { loadClusterEnv } from "./cluster-env.ts";
import { run } from "./cluster-exec.ts";
import { requireRealPart } from "./require-real-part.ts";

/**
 * Runs argocd-cm Lua customizations with `argocd-lua` (test/cluster/go/lua): Argo CD's own Lua
 * handling on gopher-lua, the Lua 5.1 that Argo CD embeds, built by `npm run cluster:build -- lua`.
 */

const BINARY = Object.keys(COMPONENTS.lua.binaries)[0] ?? "argocd-lua";

/** Argo CD's health of a resource (gitops-engine's HealthStatus; empty fields are left out). */
export interface HealthStatus {
  status?: string;
  message?: string;
}

/** One entry of the resource's action menu, as Argo CD's discovery produces it. */
export interface ResourceAction {
  name: string;
  disabled?: boolean;
  displayName?: string;
  iconClass?: string;
  params?: { name?: string }[];
}

/** One object an action returns and what Argo CD does with it. */
export interface ImpactedResource {
  operation: "patch" | "create";
  resource: Record<string, unknown>;
  /** The JSON merge patch Argo CD sends for "patch" (null when the action changed nothing). */
  patch: Record<string, unknown> | null;
}

export interface ArgoCDLuaInput {
  /** The data of argocd-cm: resource.customizations.<type>.<group_kind> keys. */
  argocdCm: Record<string, string>;
  /** The live object, as the API server returns it. */
  obj: unknown;
}

export class ArgoCDLuaError extends Error {
  readonly code = "ARGOCD_LUA_FAILED";
  constructor(message: string) {
    super(message);
    this.name = "ArgoCDLuaError";
  }
}

export function argocdLuaBinary(env: ClusterEnv = loadClusterEnv()): string {
  return path.join(componentDir(env, "lua"), BINARY);
}

/** True when the suite can run; skips loudly (or throws under AGENTRY_REQUIRE_REAL_PARTS=1). */
export function argocdLuaAvailable(suite: string): boolean {
  return requireRealPart(
    BINARY,
    existsSync(argocdLuaBinary()),
    `npm run cluster:build -- lua builds it into ${argocdLuaBinary()}`,
    suite,
  );
}

async function request<T>(body: Record<string, unknown>): Promise<T> {
  const binary = argocdLuaBinary();
  const result = await run(binary, [], { input: JSON.stringify(body), timeoutMs: 30_000 });
  let answer: (T & { error?: string }) | undefined;
  try {
    answer = JSON.parse(result.stdout) as T & { error?: string };
  } catch {
    throw new ArgoCDLuaError(
      `${binary} exited with ${result.code} without a JSON answer: ${(result.stderr || result.stdout).trim()}`,
    );
  }
  if (answer.error !== undefined || result.code !== 0) {
    throw new ArgoCDLuaError(answer.error ?? `${binary} exited with ${result.code}`);
  }
  return answer;
}

/** resource.customizations.health.<group_kind> run on the object. */
export async function argocdHealth(input: ArgoCDLuaInput): Promise<HealthStatus> {
  const answer = await request<{ health: HealthStatus }>({ mode: "health", ...input });
  return answer.health;
}

/** The discovery.lua of resource.customizations.actions.<group_kind>; sorted by name. */
export async function argocdActions(input: ArgoCDLuaInput): Promise<ResourceAction[]> {
  const answer = await request<{ actions?: ResourceAction[] }>({ mode: "discovery", ...input });
  return answer.actions ?? [];
}

/** One action definition run on the object, as Argo CD's server runs it. */
export async function argocdRunAction(
  input: ArgoCDLuaInput & { action: string; actionParams?: Record<string, string> },
): Promise<ImpactedResource[]> {
  const answer = await request<{ resources?: ImpactedResource[] }>({ mode: "action", ...input });
  return answer.resources ?? [];
}
