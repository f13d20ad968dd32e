/**
 * The items of a list response carry no apiVersion or kind (the list names them once), while a
 * get or a watch event carries both: set them from the list's, as client-go does, so an object
 * is the same whichever way it arrived and a cache filled by a list is not mistaken for drift.
 */
export function withListKind<T>(item: T, page: { apiVersion?: string; kind?: string }): T {
  const kind = page.kind?.endsWith("List") ? page.kind.slice(0, -"List".length) : undefined;
  if (!kind || !page.apiVersion || typeof item !== "object" || item === null) return item;
  const object = item as { apiVersion?: string; kind?: string };
  object.apiVersion ??= page.apiVersion;
  object.kind ??= kind;
  return item;
}
