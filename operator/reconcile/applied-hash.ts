import { createHash } from "node:crypto";
import { API_GROUP } from "../api/constants.ts";
import type { KubeObject } from "../kube/objects.ts";
import { canonicalJson } from "./revision.ts";

export const APPLIED_HASH_ANNOTATION = `${API_GROUP}/applied-hash`;

/**
 * Stamps an object with the hash of what the operator is about to apply. Comparing that stamp,
 * not the object, decides whether to write: the API server adds defaults (and other controllers
 * add fields) that a field-by-field comparison would mistake for drift and rewrite forever.
 */
export function withAppliedHash<T extends KubeObject>(object: T): T {
  const hash = createHash("sha256").update(canonicalJson(object)).digest("hex").slice(0, 16);
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { ...object.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash },
    },
  };
}

/** True when `observed` already carries exactly what `desired` (stamped) would apply. */
export function isUpToDate(desired: KubeObject, observed: KubeObject | undefined): boolean {
  const hash = desired.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  return hash !== undefined && observed?.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === hash;
}
