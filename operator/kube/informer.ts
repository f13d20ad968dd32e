import { abortableSleep } from "./abortable-sleep.ts";
import type { KubeApi } from "./kube-api.ts";
import { KubeApiError } from "./kube-api-error.ts";
import type { KubeObject } from "./objects.ts";

export type InformerEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface InformerOptions<T extends KubeObject> {
  api: KubeApi;
  /** Collection path, e.g. /apis/apps/v1/deployments (all namespaces). */
  path: string;
  labelSelector?: string;
  /** e.g. `metadata.name=bot`: one object of the collection, watched like a collection. */
  fieldSelector?: string;
  /** Applied to every object before it is cached (drop managedFields, hash secret values). */
  transform?: (object: KubeObject) => T;
  /**
   * A secondary key to list a group of objects by (e.g. namespace and owning agent) without
   * scanning its namespace: with thousands of agents in one namespace, a reconcile reads its own.
   */
  indexBy?: (object: T) => string | undefined;
  onEvent: (type: InformerEventType, object: T) => void;
  onError?: (error: unknown) => void;
  /** Called each time a watch is open (the server accepted it), quiet or not: the informer is live. */
  onConnect?: () => void;
  /** Full relist period: heals anything a watch missed. */
  relistMs?: number;
  /** Server-side watch timeout; a fresh watch is opened after each. */
  watchTimeoutSeconds?: number;
  /**
   * Longest wait before retrying a failed list or watch. A controller backs off far (30 s) to spare
   * a struggling API server; an interactive client waits little so it recovers soon after.
   */
  maxBackoffMs?: number;
}
/** Consecutive failed lists or watches after which the informer reports itself unhealthy. */
const UNHEALTHY_AFTER_FAILURES = 3;

/**
 * List-then-watch cache of one resource that never gives up: a failed or closed watch is reopened
 * (with backoff on errors), a 410 Gone relists, and a periodic relist heals watches that went
 * quiet without an error (a known failure mode of long-lived watches). Replayed events that do not
 * change an object's resourceVersion are dropped, so handlers see real changes only.
 */
export class Informer<T extends KubeObject> {
  private readonly options: Required<
    Omit<InformerOptions<T>, "labelSelector" | "fieldSelector" | "indexBy">
  > &
    Pick<InformerOptions<T>, "labelSelector" | "fieldSelector" | "indexBy">;
  private readonly cache = new Map<string, T>();
  /** The same objects by namespace, so a reconcile lists one namespace without copying all. */
  private readonly byNamespace = new Map<string, Map<string, T>>();
  /** The same objects by `indexBy`'s key. */
  private readonly byIndex = new Map<string, Map<string, T>>();
  private readonly abort = new AbortController();
  private resourceVersion: string | undefined;
  private lastListAt = 0;
  private syncedResolve: (() => void) | undefined;
  readonly synced: Promise<void>;
  private loop: Promise<void> | undefined;
  private failures = 0;

  constructor(options: InformerOptions<T>) {
    this.options = {
      transform: (object) => object as T,
      onError: () => {},
      onConnect: () => {},
      maxBackoffMs: 30_000,
      relistMs: 10 * 60_000,
      watchTimeoutSeconds: 240 + Math.floor(Math.random() * 120),
      ...options,
    };
    this.synced = new Promise((resolve) => {
      this.syncedResolve = resolve;
    });
  }

  start(): Promise<void> {
    this.loop ??= this.run();
    return this.synced;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(keyOf(namespace, name));
  }

  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.cache.values()];
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  /** The objects whose `indexBy` key is `indexKey`. */
  listIndexed(indexKey: string): T[] {
    return [...(this.byIndex.get(indexKey)?.values() ?? [])];
  }

  get size(): number {
    return this.cache.size;
  }

  /** Listed at least once, and the last attempts to list or watch did not all fail. */
  get healthy(): boolean {
    return this.lastListAt > 0 && this.failures < UNHEALTHY_AFTER_FAILURES;
  }

  private store(key: string, object: T): void {
    this.regroup(key, this.cache.get(key), object);
    this.cache.set(key, object);
  }

  private remove(key: string): void {
    this.regroup(key, this.cache.get(key), undefined);
    this.cache.delete(key);
  }

  /** Moves `key` in the namespace and `indexBy` groups from where `before` was to where `after` is. */
  private regroup(key: string, before: T | undefined, after: T | undefined): void {
    const namespaceOf = (object: T | undefined) => object && (object.metadata.namespace ?? "");
    const indexOf = (object: T | undefined) => object && this.options.indexBy?.(object);
    moveWithin(this.byNamespace, key, namespaceOf(before), namespaceOf(after), after);
    moveWithin(this.byIndex, key, indexOf(before), indexOf(after), after);
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        if (this.resourceVersion === undefined || Date.now() - this.lastListAt > this.options.relistMs) {
          await this.relist();
        }
        await this.watchOnce();
        this.failures = 0;
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (error instanceof KubeApiError && error.isGone) {
          this.resourceVersion = undefined;
          continue;
        }
        this.options.onError(error);
        // A silent watch is reopened at once, from the last resourceVersion it saw.
        if (error instanceof KubeApiError && error.code === "KUBE_API_WATCH_IDLE") continue;
        this.failures += 1;
        const delay =
          Math.min(this.options.maxBackoffMs, 500 * 2 ** Math.min(this.failures, 6)) *
          (0.5 + Math.random() / 2);
        await abortableSleep(delay, this.abort.signal);
      }
    }
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.options.api.list<KubeObject>(this.options.path, {
      labelSelector: this.options.labelSelector,
      fieldSelector: this.options.fieldSelector,
    });
    const seen = new Set<string>();
    for (const raw of items) {
      const key = keyOf(raw.metadata.namespace, raw.metadata.name);
      seen.add(key);
      const before = this.cache.get(key);
      // Unchanged objects keep their cached copy: no transform (hashing Secrets) on every relist.
      if (before?.metadata.resourceVersion === raw.metadata.resourceVersion) continue;
      const object = this.options.transform(raw);
      this.store(key, object);
      this.options.onEvent(before ? "MODIFIED" : "ADDED", object);
    }
    for (const [key, object] of this.cache) {
      if (!seen.has(key)) {
        this.remove(key);
        this.options.onEvent("DELETED", object);
      }
    }
    this.resourceVersion = resourceVersion;
    this.lastListAt = Date.now();
    this.failures = 0;
    this.syncedResolve?.();
  }

  private async watchOnce(): Promise<void> {
    // A watch ends by the time the next relist is due, so a short relist period is kept too.
    const untilRelist = Math.ceil((this.lastListAt + this.options.relistMs - Date.now()) / 1000);
    await this.options.api.watch(
      this.options.path,
      {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.max(1, Math.min(this.options.watchTimeoutSeconds, untilRelist)),
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
      },
      (event) => {
        // The watch is open and talking: whatever failed before has recovered.
        this.failures = 0;
        this.handle(event);
      },
      this.abort.signal,
      this.options.onConnect,
    );
  }

  private handle(event: { type: string; object: unknown }): void {
    if (event.type === "ERROR") {
      const status = event.object as { code?: number; reason?: string; message?: string };
      throw new KubeApiError(
        "watch",
        this.options.path,
        status.code ?? 500,
        status.reason ?? "Unknown",
        status.message ?? "",
      );
    }
    const raw = event.object as KubeObject;
    if (raw.metadata?.resourceVersion) this.resourceVersion = raw.metadata.resourceVersion;
    if (event.type === "BOOKMARK") return;
    const key = keyOf(raw.metadata.namespace, raw.metadata.name);
    if (event.type === "DELETED") {
      this.remove(key);
      this.options.onEvent("DELETED", this.options.transform(raw));
      return;
    }
    const before = this.cache.get(key);
    if (before?.metadata.resourceVersion === raw.metadata.resourceVersion) return;
    const object = this.options.transform(raw);
    this.store(key, object);
    this.options.onEvent(before ? "MODIFIED" : "ADDED", object);
  }
}

/** Takes `key` out of group `from` (if it leaves it) and puts `object` under it in group `to`. */
function moveWithin<T>(
  groups: Map<string, Map<string, T>>,
  key: string,
  from: string | undefined,
  to: string | undefined,
  object: T | undefined,
): void {
  if (from !== undefined && from !== to) {
    const members = groups.get(from);
    members?.delete(key);
    if (members?.size === 0) groups.delete(from);
  }
  if (to === undefined || object === undefined) return;
  const members = groups.get(to) ?? new Map<string, T>();
  members.set(key, object);
  groups.set(to, members);
}

export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
