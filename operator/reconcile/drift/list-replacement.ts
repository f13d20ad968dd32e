import type { DriftField } from "./declared-drift.ts";

/**
 * A JSON merge patch that sets every list holding a missing declared entry to its declared value.
 * When someone changes an entry's key (a Service port 80 -> 81), server-side apply keeps the
 * changed entry, now owned by them, next to the declared one it adds back, and the pair can be
 * invalid (two ports named "http"). A merge patch replaces a list whole, so the repair writes it
 * first and then applies as usual. Undefined when no entry is missing.
 */
export function listReplacementPatch(
  declared: Record<string, unknown>,
  fields: readonly DriftField[],
): Record<string, unknown> | undefined {
  let patch: Record<string, unknown> | undefined;
  for (const field of fields) {
    if (!field.missingEntry) continue;
    // The outermost list on the way: entries of lists nested in it cannot be addressed by a merge patch.
    const segments = field.path.slice(0, field.path.indexOf("[")).split(".");
    const value = segments.reduce<unknown>(
      (node, segment) => (node as Record<string, unknown> | undefined)?.[segment],
      declared,
    );
    if (!Array.isArray(value)) continue;
    patch ??= {};
    let node = patch;
    for (const segment of segments.slice(0, -1)) {
      node[segment] ??= {};
      node = node[segment] as Record<string, unknown>;
    }
    node[segments[segments.length - 1] ?? ""] = value;
  }
  return patch;
}
