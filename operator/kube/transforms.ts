import { createHash } from "node:crypto";
import type { ConfigMap, KubeObject, Secret } from "./objects.ts";

/**
 * managedFields are often the largest part of an object and the operator never reads them:
 * dropping them from every cached object is most of the informer memory saved.
 */
export function withoutManagedFields<T extends KubeObject>(object: T): T {
  const { managedFields: _dropped, ...metadata } = object.metadata as KubeObject["metadata"] & {
    managedFields?: unknown;
  };
  return { ...object, metadata };
}

/**
 * Secrets and ConfigMaps are cached with each value replaced by its SHA-256: the operator only
 * needs to know that a key exists and when its content changes, and secret values then never sit
 * in the operator's memory (or in a heap dump).
 */
export function withHashedData<T extends Secret | ConfigMap>(object: T): T {
  const stripped = withoutManagedFields(object);
  const hashed = { ...stripped, data: hashValues(stripped.data) } as T;
  if ("binaryData" in stripped && stripped.binaryData)
    (hashed as ConfigMap).binaryData = hashValues(stripped.binaryData);
  return hashed;
}

function hashValues(data: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!data) return undefined;
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [key, createHash("sha256").update(value).digest("base64")]),
  );
}
