/**
 * Stage 6 of a reconcile: which desired objects to apply, and which of those applies repair drift.
 * An object is applied when what the operator last applied differs from what it declares now (a
 * change of spec, not drift) or when a declared field of the live object moved away (drift, a
 * repair to report). One missing now was deleted by someone else only when this generation
 * already wrote it: first creation is no drift.
 */
import { isUpToDate, withAppliedHash } from "../applied-hash.ts";
import type { DesiredObject } from "../children.ts";
import { childKey, type DriftReport, type ObservedState } from "../reconcile-plan.ts";
import type { Revisions } from "../revisions.ts";
import { findCondition } from "../status/conditions.ts";
import { REASONS } from "../status/reasons.ts";
import { findDrift } from "./declared-drift.ts";

/** Stalls under which a reconcile applies no owned object (its plan returns before, or failed). */
const STALLED_BEFORE_APPLY: ReadonlySet<string> = new Set([
  REASONS.applyFailed,
  REASONS.invalidSpec,
  REASONS.noImage,
  REASONS.missingAgentRef,
  REASONS.missingToolCredential,
  REASONS.missingReference,
]);

export interface DriftRepairs {
  apply: DesiredObject[];
  drift: DriftReport[];
}

export function planDriftRepairs(
  observed: ObservedState,
  desired: readonly DesiredObject[],
  revisions: Pick<Revisions, "revision" | "update">,
): DriftRepairs {
  const { agent } = observed;
  const previous = agent.status ?? {};
  const apply: DesiredObject[] = [];
  const drift: DriftReport[] = [];
  // Objects this generation already wrote: one missing now was deleted by someone else. A status
  // without an updateRevision, or stalled before applying, comes from reconciles that wrote none
  // (a new agent creating its auth Secret first, or waiting for a Secret): first creation is no drift.
  const stall = findCondition(previous.conditions, "Stalled");
  const established =
    previous.observedGeneration === agent.metadata.generation &&
    previous.updateRevision !== undefined &&
    !(stall?.status === "True" && STALLED_BEFORE_APPLY.has(stall.reason ?? ""));
  for (const object of desired) {
    const stamped = withAppliedHash(object);
    const current =
      object.kind === "Deployment"
        ? revisions.update
        : observed.children.get(childKey(object.kind, object.metadata.name));
    if (!isUpToDate(stamped, current)) {
      apply.push(stamped);
      const wasRunning = object.kind !== "Deployment" || previous.updateRevision === revisions.revision;
      if (!current && established && wasRunning) drift.push(missingReport(stamped));
      continue;
    }
    // The stamp says what was applied, not what is there now: every declared field is checked too.
    const fields = findDrift(object, current);
    if (fields.length === 0) continue;
    apply.push(stamped);
    drift.push({ kind: object.kind, name: object.metadata.name, fields, missing: false, declared: stamped });
  }
  return { apply, drift };
}

export function missingReport(declared: DesiredObject): DriftReport {
  return { kind: declared.kind, name: declared.metadata.name, fields: [], missing: true, declared };
}
