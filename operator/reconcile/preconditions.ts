/**
 * Stage 1 of a reconcile: what must hold before any revision can be computed. The generated auth
 * Secret exists (else it is created first), there is an image, every agentRef names an agent,
 * every tool that needs a credential has one, and every referenced Secret and ConfigMap key is
 * there. A failed check blocks the reconcile; nothing that runs is touched.
 */
import { toolsLackingCredential } from "./called-agent.ts";
import { buildAuthSecret, type DesiredObject } from "./children.ts";
import { resolveReferencedData } from "./data-hashes.ts";
import { missingReport } from "./drift/drift-repairs.ts";
import type { Blocked, DriftReport, ObservedState, ReconcileConfig } from "./reconcile-plan.ts";
import { childKey } from "./reconcile-plan.ts";
import { referencedData } from "./referenced-data.ts";
import { buildRuntimeEnv, type EnvVar } from "./runtime-env.ts";
import { REASONS } from "./status/reasons.ts";
import { templateUsesSecret } from "./template-uses-secret.ts";

export interface Preconditions {
  /** The generated auth Secret, when it is missing. */
  createIfMissing: DesiredObject[];
  /** That Secret, reported as drift when pods read it (it was deleted, not just turned on). */
  drift: DriftReport[];
  blocked: Blocked | undefined;
  image: string | undefined;
  env: EnvVar[];
  /** Hashes of every referenced Secret and ConfigMap, part of the revision. */
  dataHashes: readonly string[];
  /** Secret NAME-auth is being created: the revision cannot be hashed until it exists. */
  waitingForAuthSecret: boolean;
}

export function checkPreconditions(
  observed: ObservedState,
  config: ReconcileConfig,
  generateKey: () => string,
): Preconditions {
  const { agent } = observed;
  const { spec } = agent;
  const createIfMissing: DesiredObject[] = [];
  const drift: DriftReport[] = [];
  const authSecret = buildAuthSecret(agent, "");
  if (authSecret && !observed.children.has(childKey("Secret", authSecret.metadata.name))) {
    const created = buildAuthSecret(agent, generateKey()) as DesiredObject;
    createIfMissing.push(created);
    // Its key hash is part of the revision: a deleted Secret gets a new key and a new revision rolls
    // out. Pods that read it mean it was deleted; otherwise auth was just turned on.
    if (observed.deployments.some((deployment) => templateUsesSecret(deployment, created.metadata.name)))
      drift.push(missingReport(created));
  }
  const waitingForAuthSecret = createIfMissing.length > 0;

  const image = spec.image ?? config.defaultImage;
  const { env, missingAgents } = buildRuntimeEnv(agent, {
    calledAgents: observed.calledAgents,
    clusterDomain: config.clusterDomain,
  });
  const lackingCredential = toolsLackingCredential(spec.agent.tools ?? [], observed.calledAgents);
  const resolved = resolveReferencedData(
    referencedData(agent.metadata.name, spec, observed.calledAgents),
    observed.data,
  );
  // The auth Secret being created is not missing data: it is on its way.
  const missing = resolved.missing.filter(
    (item) => !(waitingForAuthSecret && item.reference.field === "spec.auth"),
  );

  let blocked: Blocked | undefined;
  if (!image) {
    blocked = {
      reason: REASONS.noImage,
      message: "spec.image is empty and the operator has no default runtime image (AGENTRY_RUNTIME_IMAGE)",
    };
  } else if (missingAgents.length > 0) {
    blocked = {
      reason: REASONS.missingAgentRef,
      message: `tool agentRef names no AgentDeployment in this namespace: ${missingAgents.join(", ")}`,
    };
  } else if (lackingCredential.length > 0) {
    blocked = {
      reason: REASONS.missingToolCredential,
      message: `set credentialSecretRef (a token the called agent accepts) on: ${lackingCredential.join(", ")}`,
    };
  } else if (missing.length > 0) {
    blocked = { reason: REASONS.missingReference, message: missing.map((item) => item.message).join("; ") };
  }
  return { createIfMissing, drift, blocked, image, env, dataHashes: resolved.hashes, waitingForAuthSecret };
}
