import { createHash } from "node:crypto";
import { REVISION_HASH_LENGTH } from "../api/constants.ts";
import type { PodTemplate } from "./pod-template.ts";

/**
 * The revision: a short stable hash of the pod template plus the content hashes of every Secret
 * and ConfigMap it reads. Stable means key order does not matter; a changed prompt ConfigMap or a
 * rotated API key changes it, so it rolls out through the same strategy as an image change.
 */
export function computeRevision(template: PodTemplate, dataHashes: readonly string[]): string {
  const digest = createHash("sha256")
    .update(canonicalJson(template))
    .update("\0")
    .update(dataHashes.join(","))
    .digest();
  // base-36 of the first 8 bytes, lowercase letters and digits, padded to a fixed width.
  return digest
    .readBigUInt64BE(0)
    .toString(36)
    .padStart(REVISION_HASH_LENGTH, "0")
    .slice(-REVISION_HASH_LENGTH);
}

/** JSON with object keys sorted, so equal objects hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
