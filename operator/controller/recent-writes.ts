import type { KubeObject } from "../kube/objects.ts";

/**
 * Objects as the operator last wrote them, until the informer cache has caught up. A reconcile
 * that runs between a write and its watch event would otherwise see the old object, take it for
 * drift, write again and report a repair that never was. An entry lives only until the informer
 * delivers that object at the written resourceVersion or later (including its deletion).
 */
export class RecentWrites {
  private readonly objects = new Map<string, KubeObject>();

  /** `object` is what the API server answered to the write, with its new resourceVersion. */
  record(kind: string, object: KubeObject): void {
    this.objects.set(keyOf(kind, object.metadata.namespace, object.metadata.name), object);
  }

  /** An informer event for `object`: from its resourceVersion on, the cache is current again. */
  observe(kind: string, object: KubeObject): void {
    const key = keyOf(kind, object.metadata.namespace, object.metadata.name);
    const written = this.objects.get(key);
    if (written && !isOlder(object.metadata.resourceVersion, written.metadata.resourceVersion))
      this.objects.delete(key);
  }

  /** The newer of the cached object and the one written. */
  resolve<T extends KubeObject>(
    kind: string,
    namespace: string,
    name: string,
    cached: T | undefined,
  ): T | undefined {
    const written = this.objects.get(keyOf(kind, namespace, name)) as T | undefined;
    if (!written) return cached;
    if (cached && !isOlder(cached.metadata.resourceVersion, written.metadata.resourceVersion)) return cached;
    return written;
  }

  /** `cached` (one kind, one namespace) with the written objects laid over it. */
  overlay<T extends KubeObject>(kind: string, namespace: string, cached: readonly T[]): T[] {
    const byName = new Map(cached.map((object) => [object.metadata.name, object]));
    for (const [key, written] of this.objects) {
      if (!key.startsWith(`${kind}/${namespace}/`)) continue;
      const name = written.metadata.name;
      byName.set(name, this.resolve(kind, namespace, name, byName.get(name)) as T);
    }
    return [...byName.values()];
  }

  get size(): number {
    return this.objects.size;
  }
}

function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ""}/${name}`;
}

/**
 * resourceVersions are opaque strings; the API server's are etcd revisions, so two numeric ones
 * compare as numbers. Anything else counts as current: the cache wins, as without this overlay.
 */
function isOlder(candidate: string | undefined, than: string | undefined): boolean {
  if (!candidate || !than || !/^\d+$/.test(candidate) || !/^\d+$/.test(than)) return false;
  return BigInt(candidate) < BigInt(than);
}
