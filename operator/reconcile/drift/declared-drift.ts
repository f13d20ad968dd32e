import { sameQuantity } from "./quantity.ts";

/** One declared field the live object does not carry as declared. */
export interface DriftField {
  /** Where, with list entries named by their key: `spec.template.spec.containers[name=agent].image`. */
  path: string;
  /**
   * The declared list entry is absent (its key was changed or it was removed). Server-side apply
   * keeps an entry another manager owns, so the repair has to replace the whole list.
   */
  missingEntry: boolean;
}

/**
 * Maps and structs the API server treats as one value (`mapType`/`structType=atomic`): a key
 * someone added there changes what they mean (a Service selector with one more label selects
 * other pods), so they must equal the declared value exactly.
 */
const ATOMIC_KEYS = new Set(["selector", "labelSelector"]);

/**
 * What names the object rather than describes it. The live object was found by kind and name, and
 * nobody can change these on it: a difference only says how the copy arrived (list items carry no
 * apiVersion or kind; a cache may serve another version of the same resource), never drift.
 */
const IDENTITY_PATHS = new Set(["apiVersion", "kind", "metadata.name", "metadata.namespace"]);

/** Parents under which values are resource quantities. */
const QUANTITY_PARENTS = new Set(["requests", "limits"]);
/** Keys of metric targets holding quantities (HorizontalPodAutoscaler). */
const QUANTITY_KEYS = new Set(["averageValue", "value"]);

/**
 * Entry keys of the lists the operator declares, as server-side apply merges them
 * (`listType=map`): first match wins. Lists with none of these are atomic and compared by position.
 */
const LIST_KEYS: ReadonlyArray<readonly string[]> = [
  ["containerPort", "protocol"],
  ["port", "protocol"],
  ["mountPath"],
  ["topologyKey", "whenUnsatisfiable"],
  ["uid"],
  ["name"],
];

/** Server defaults of list-key fields the operator may leave out. */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: "TCP" };

/**
 * Every declared field that is missing from `live` or differs from it. Fields only `live` has are
 * not drift: the API server adds defaults and other controllers add their own fields, and
 * server-side apply leaves those alone anyway. Values are normalised the way the server stores
 * them: quantities by value ("1000m" = "1"), int-or-string by text (8080 = "8080").
 */
export function findDrift(declared: unknown, live: unknown): DriftField[] {
  const found: DriftField[] = [];
  walk(declared, live, "", "", found);
  return found;
}

function walk(declared: unknown, live: unknown, path: string, key: string, found: DriftField[]): void {
  if (declared === undefined || declared === null || isEmpty(declared) || IDENTITY_PATHS.has(path)) return;
  if (ATOMIC_KEYS.has(key)) {
    if (!sameValue(declared, live, key)) found.push({ path, missingEntry: false });
    return;
  }
  if (Array.isArray(declared)) {
    walkList(declared, live, path, key, found);
    return;
  }
  if (isObject(declared)) {
    if (!isObject(live)) {
      found.push({ path, missingEntry: false });
      return;
    }
    for (const [child, value] of Object.entries(declared)) {
      walk(value, live[child], join(path, child), child, found);
    }
    return;
  }
  if (!sameScalar(declared, live, key, path)) found.push({ path, missingEntry: false });
}

function walkList(declared: unknown[], live: unknown, path: string, key: string, found: DriftField[]): void {
  if (!Array.isArray(live)) {
    found.push({ path, missingEntry: false });
    return;
  }
  const entryKey = listKeyOf(declared);
  if (!entryKey) {
    // Atomic list: server-side apply replaces it whole, so its length is declared too.
    if (live.length !== declared.length) found.push({ path, missingEntry: false });
    else {
      for (const [index, item] of declared.entries())
        walk(item, live[index], `${path}[${index}]`, key, found);
    }
    return;
  }
  for (const item of declared as Record<string, unknown>[]) {
    const wanted = keyOf(item, entryKey);
    const match = live.find((candidate) => isObject(candidate) && keyOf(candidate, entryKey) === wanted);
    const entryPath = `${path}[${describeKey(item, entryKey)}]`;
    if (match === undefined) found.push({ path: entryPath, missingEntry: true });
    else walk(item, match, entryPath, key, found);
  }
}

function listKeyOf(items: unknown[]): readonly string[] | undefined {
  if (!items.every(isObject)) return undefined;
  return LIST_KEYS.find(([first = ""]) => items.every((item) => first in item));
}

function keyOf(item: Record<string, unknown>, fields: readonly string[]): string {
  return JSON.stringify(fields.map((field) => String(item[field] ?? KEY_DEFAULTS[field] ?? "")));
}

function describeKey(item: Record<string, unknown>, fields: readonly string[]): string {
  const [first = ""] = fields;
  return `${first}=${String(item[first])}`;
}

/** Exact equality (same keys, same lengths) after normalising scalars: for atomic values. */
function sameValue(declared: unknown, live: unknown, key: string): boolean {
  if (Array.isArray(declared)) {
    return (
      Array.isArray(live) &&
      live.length === declared.length &&
      declared.every((item, index) => sameValue(item, live[index], key))
    );
  }
  if (isObject(declared)) {
    if (!isObject(live)) return false;
    const keys = Object.keys(declared).filter((child) => declared[child] !== undefined);
    return (
      keys.length === Object.keys(live).length &&
      keys.every((child) => sameValue(declared[child], live[child], child))
    );
  }
  return sameScalar(declared, live, key, "");
}

function sameScalar(declared: unknown, live: unknown, key: string, path: string): boolean {
  if (declared === live) return true;
  // Go drops zero values of `omitempty` fields: a declared "" (or 0, false) comes back absent.
  if (live === undefined || live === null) return declared === "" || declared === 0 || declared === false;
  const quantity = QUANTITY_KEYS.has(key) || QUANTITY_PARENTS.has(parentKey(path));
  if (quantity && isScalarNumber(declared) && isScalarNumber(live)) return sameQuantity(declared, live);
  // int-or-string fields (ports, maxUnavailable) may come back as the other spelling.
  return (
    (typeof declared === "number" || typeof live === "number") &&
    isScalarNumber(declared) &&
    isScalarNumber(live) &&
    String(declared) === String(live)
  );
}

function parentKey(path: string): string {
  const parts = path.split(".");
  return parts[parts.length - 2]?.replace(/\[.*$/, "") ?? "";
}

function isScalarNumber(value: unknown): value is string | number {
  return typeof value === "string" || typeof value === "number";
}

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
