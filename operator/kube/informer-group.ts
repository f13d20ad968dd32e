import { Informer, type InformerOptions } from "./informer.ts";
import type { KubeObject } from "./objects.ts";
import { type ResourceKind, resourcePath } from "./resources.ts";

/**
 * One resource watched in every namespace the operator serves: one cluster-wide informer, or one
 * per namespace when the operator is limited to some (its RBAC may only allow those).
 */
export class InformerGroup<T extends KubeObject> {
  private readonly informers: Informer<T>[];

  constructor(kind: ResourceKind, namespaces: readonly string[], options: Omit<InformerOptions<T>, "path">) {
    const scopes = namespaces.length === 0 ? [undefined] : namespaces;
    this.informers = scopes.map(
      (namespace) => new Informer<T>({ ...options, path: resourcePath(kind, { namespace }) }),
    );
  }

  start(): Promise<void> {
    return Promise.all(this.informers.map((informer) => informer.start())).then(() => undefined);
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    for (const informer of this.informers) {
      const found = informer.get(namespace, name);
      if (found) return found;
    }
    return undefined;
  }

  list(namespace?: string): T[] {
    return this.informers.flatMap((informer) => informer.list(namespace));
  }

  /** The objects whose `indexBy` key is `indexKey` (see InformerOptions.indexBy). */
  listIndexed(indexKey: string): T[] {
    return this.informers.flatMap((informer) => informer.listIndexed(indexKey));
  }

  get healthy(): boolean {
    return this.informers.every((informer) => informer.healthy);
  }

  get size(): number {
    return this.informers.reduce((total, informer) => total + informer.size, 0);
  }
}
