import { createHash } from "node:crypto";
import type { ConfigMap, Secret } from "../kube/objects.ts";
import type { DataReference } from "./referenced-data.ts";

/** What the operator observed of the Secrets and ConfigMaps an agent refers to, by name. */
export interface ObservedData {
  secrets: ReadonlyMap<string, Secret>;
  configMaps: ReadonlyMap<string, ConfigMap>;
}

export interface MissingData {
  reference: DataReference;
  message: string;
}

export interface ResolvedData {
  /** One content hash per reference, in reference order: part of the revision. */
  hashes: string[];
  missing: MissingData[];
}

/**
 * Hashes the content each reference points at (never the content itself: values stay in their
 * Secret), and lists the references that point at nothing.
 */
export function resolveReferencedData(refs: readonly DataReference[], observed: ObservedData): ResolvedData {
  const hashes: string[] = [];
  const missing: MissingData[] = [];
  for (const reference of refs) {
    const object =
      reference.kind === "Secret"
        ? observed.secrets.get(reference.name)
        : observed.configMaps.get(reference.name);
    if (!object) {
      missing.push({
        reference,
        message: `${reference.kind} ${reference.name} (${reference.field}) does not exist`,
      });
      continue;
    }
    const data = { ...(object.data ?? {}), ...((object as ConfigMap).binaryData ?? {}) };
    if (reference.key === undefined) {
      hashes.push(hashOf(`${reference.kind}/${reference.name}`, sortedEntries(data)));
      continue;
    }
    const value = data[reference.key];
    if (value === undefined) {
      missing.push({
        reference,
        message: `${reference.kind} ${reference.name} has no key "${reference.key}" (${reference.field})`,
      });
      continue;
    }
    hashes.push(hashOf(`${reference.kind}/${reference.name}/${reference.key}`, value));
  }
  return { hashes, missing };
}

function sortedEntries(data: Record<string, string>): string {
  return JSON.stringify(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function hashOf(label: string, content: string): string {
  return createHash("sha256").update(label).update("\0").update(content).digest("hex").slice(0, 16);
}
