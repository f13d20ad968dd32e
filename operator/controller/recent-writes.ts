import type { KubeObject } from "../kube/objects.ts";
import { agentIndexKey, indexKeyOf } from "./agent-index.ts";

/**
 * Objects as the operator last wrote them, until the informer cache has caught up. A reconcile
 * that runs between a write and its watch event would otherwise see the old object, take it for
 * drift, write again and report a repair that never was. An entry lives only until the informer
 * delivers that object at the written resourceVersion or later (including its deletion).
 */
export class RecentWrites {
  private readonly objects = new Map<string, KubeObject>();
  /** Keys of the written objects by kind and owning agent, for `overlay`. */
  private readonly byAgent = new Map<string, Set<string>>();

  /** `object` is what the API server answered to the write, with its new resourceVersion. */
  record(kind: string, object: KubeObject): void {
    const key = keyOf(kind, object.metadata.namespace, object.metadata.name);
    this.forget(kind, key);
    this.objects.set(key, object);
    const group = groupOf(kind, object);
    if (group === undefined) return;
    const keys = this.byAgent.get(group) ?? new Set<string>();
    keys.add(key);
    this.byAgent.set(group, keys);
  }

  /** An informer event for `object`: from its resourceVersion on, the cache is current again. */
  observe(kind: string, object: KubeObject): void {
    const key = keyOf(kind, object.metadata.namespace, object.metadata.name);
    const written = this.objects.get(key);
    if (written && !isOlder(object.metadata.resourceVersion, written.metadata.resourceVersion))
      this.forget(kind, key);
  }

  private forget(kind: string, key: string): void {
    const written = this.objects.get(key);
    if (!written) return;
    this.objects.delete(key);
    const group = groupOf(kind, written);
    const keys = group === undefined ? undefined : this.byAgent.get(group);
    keys?.delete(key);
    if (group !== undefined && keys?.size === 0) this.byAgent.delete(group);
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

  /**
   * `cached` (the objects of one kind labelled as one agent's) with the objects written for that
   * agent laid over it; costs what the agent owns, whatever else its namespace holds.
   */
  overlay<T extends KubeObject>(kind: string, namespace: string, agent: string, cached: readonly T[]): T[] {
    const keys = this.byAgent.get(`${kind}/${indexKeyOf(namespace, agent)}`);
    if (!keys) return [...cached];
    const byName = new Map(cached.map((object) => [object.metadata.name, object]));
    for (const key of keys) {
      const name = (this.objects.get(key) as KubeObject).metadata.name;
      byName.set(name, this.resolve(kind, namespace, name, byName.get(name)) as T);
    }
    return [...byName.values()];
  }

  get size(): number {
    return this.objects.size;
  }
}

function groupOf(kind: string, object: KubeObject): string | undefined {
  const agent = agentIndexKey(object);
  return agent === undefined ? undefined : `${kind}/${agent}`;
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
