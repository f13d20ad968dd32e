import { existsSync } from "node:fs";
import path from "node:path";
import { COMPONENTS, componentDir } from "./cluster-components.ts";
import type { ClusterEnv } from "./cluster-env.ts";
import { loadClusterEnv } from "./cluster-env.ts";
import { run } from "./cluster-exec.ts";
import { requireRealPart } from "./require-real-part.ts";

/**
 * Runs `kstatus` (test/cluster/go/kstatus): sigs.k8s.io/cli-utils' pkg/kstatus/status, the
 * verdict Flux's health checks and Helm 4's `--wait` compute, built by
 * `npm run cluster:build -- kstatus`.
 */

const BINARY = Object.keys(COMPONENTS.kstatus.binaries)[0] ?? "kstatus";

/** kstatus' status.Compute result for one object. */
export interface KstatusVerdict {
  kind: string;
  name: string;
  namespace?: string;
  status: "InProgress" | "Failed" | "Current" | "Terminating" | "NotFound" | "Unknown";
  message: string;
}

export class KstatusError extends Error {
  readonly code = "KSTATUS_FAILED";
  constructor(message: string) {
    super(message);
    this.name = "KstatusError";
  }
}

export function kstatusBinary(env: ClusterEnv = loadClusterEnv()): string {
  return path.join(componentDir(env, "kstatus"), BINARY);
}

/** True when the suite can run; skips loudly (or throws under AGENTRY_REQUIRE_REAL_PARTS=1). */
export function kstatusAvailable(suite: string): boolean {
  return requireRealPart(
    BINARY,
    existsSync(kstatusBinary()),
    `npm run cluster:build -- kstatus builds it into ${kstatusBinary()}`,
    suite,
  );
}

/** kstatus' verdict on each object, in order. */
export async function kstatusCompute(objects: readonly unknown[]): Promise<KstatusVerdict[]> {
  const binary = kstatusBinary();
  const result = await run(binary, [], { input: JSON.stringify(objects), timeoutMs: 30_000 });
  let answer: KstatusVerdict[] | { error: string };
  try {
    answer = JSON.parse(result.stdout) as KstatusVerdict[] | { error: string };
  } catch {
    throw new KstatusError(
      `${binary} exited with ${result.code} without a JSON answer: ${(result.stderr || result.stdout).trim()}`,
    );
  }
  if (!Array.isArray(answer) || result.code !== 0) {
    throw new KstatusError(Array.isArray(answer) ? `${binary} exited with ${result.code}` : answer.error);
  }
  return answer;
}
