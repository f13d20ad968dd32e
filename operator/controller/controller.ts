import type { Logger } from "pino";
import { KIND, LABELS, MANAGED_BY, PHASES } from "../api/constants.ts";
import { parseAgentDeployment } from "../api/parse-agent-deployment.ts";
import type { OperatorConfig } from "../config.ts";
import type { InformerEventType } from "../kube/informer.ts";
import { InformerGroup } from "../kube/informer-group.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import { KubeApiError } from "../kube/kube-api-error.ts";
import type { ConfigMap, Deployment, KubeObject, Secret } from "../kube/objects.ts";
import type { ResourceKind } from "../kube/resources.ts";
import { withHashedData, withoutManagedFields } from "../kube/transforms.ts";
import { DriftBackoff } from "../reconcile/drift/drift-backoff.ts";
import type { ReconcileConfig } from "../reconcile/reconcile-plan.ts";
import { referencedData } from "../reconcile/referenced-data.ts";
import { httpRouteOf } from "../reconcile/route-weights.ts";
import { agentIndexKey } from "./agent-index.ts";
import type { OperatorMetrics } from "./metrics.ts";
import { type Caches, calledAgentsOf } from "./observe-agent.ts";
import { RecentWrites } from "./recent-writes.ts";
import { reconcileAgent } from "./reconcile-agent.ts";
import { WorkQueue } from "./work-queue.ts";

export interface ControllerOptions {
  api: KubeApi;
  log: Logger;
  metrics: OperatorMetrics;
  reconcile: ReconcileConfig;
  /** The operator's default Prometheus for analyses. */
  prometheus: OperatorConfig["prometheus"];
  namespaces: readonly string[];
  workers: number;
  identity: string;
  resyncMs: number;
  generateKey: () => string;
  now?: () => Date;
}

/**
 * Informers feed keys into the work queue; N workers reconcile them, never two on one key.
 * Informers run on every replica (a standby is warm); workers run only while leading.
 */
export class Controller {
  readonly caches: Caches;
  readonly queue = new WorkQueue();
  /** Objects just written, until the informers have seen them. */
  readonly recent = new RecentWrites();
  readonly driftBackoff = new DriftBackoff();
  private readonly options: ControllerOptions;
  private readonly groups: InformerGroup<KubeObject>[];
  /** generation + labels + annotations of each agent, to skip status-only updates. */
  private readonly agentShapes = new Map<string, string>();
  /** namespace/name of a Secret or ConfigMap, or agentReadKey of an agent called as a tool -> agents that read it. */
  private readonly dataReaders = new Map<string, Set<string>>();
  private readonly agentReads = new Map<string, string[]>();
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private routeDiscovery: NodeJS.Timeout | undefined;
  private running = false;
  synced = false;

  constructor(options: ControllerOptions) {
    this.options = options;
    options.metrics.observeQueue(this.queue);
    const { api, namespaces } = options;
    const managed = `${LABELS.managedBy}=${MANAGED_BY}`;
    const onError = (resource: string) => (error: unknown) =>
      options.log.warn({ err: error, resource }, "watch failed; restarting it");
    const group = <T extends KubeObject>(
      kind: ResourceKind,
      onEvent: (type: InformerEventType, object: T) => void,
      extra: {
        labelSelector?: string;
        transform?: (object: KubeObject) => T;
        indexBy?: (object: T) => string | undefined;
      } = {},
    ) =>
      new InformerGroup<T>(kind, namespaces, {
        api,
        onEvent,
        onError: onError(kind),
        // A resync reconciles every agent from caches that were listed afresh as often.
        relistMs: options.resyncMs,
        transform: (extra.transform ?? withoutManagedFields) as (object: KubeObject) => T,
        ...(extra.labelSelector ? { labelSelector: extra.labelSelector } : {}),
        ...(extra.indexBy ? { indexBy: extra.indexBy } : {}),
      });
    // Any change to an owned object, its deletion included, sends its agent to the queue: by the
    // agent label, or by the controller ownerReference when someone removed that label.
    const toOwner = (kind: ResourceKind) => (_type: InformerEventType, object: KubeObject) => {
      this.recent.observe(kind, object);
      const owner =
        object.metadata.labels?.[LABELS.agent] ??
        object.metadata.ownerReferences?.find((reference) => reference.controller && reference.kind === KIND)
          ?.name;
      if (owner) this.enqueue(`${object.metadata.namespace}/${owner}`);
    };
    const toReaders = (kind: ResourceKind) => (_type: InformerEventType, object: KubeObject) => {
      this.recent.observe(kind, object);
      for (const key of this.dataReaders.get(`${object.metadata.namespace}/${object.metadata.name}`) ?? [])
        this.enqueue(key);
    };
    this.caches = {
      agents: group("AgentDeployment", (type, object) => this.onAgentEvent(type, object)),
      deployments: group<Deployment>("Deployment", toOwner("Deployment"), {
        labelSelector: managed,
        indexBy: agentIndexKey,
      }),
      services: group("Service", toOwner("Service"), { labelSelector: managed }),
      autoscalers: group("HorizontalPodAutoscaler", toOwner("HorizontalPodAutoscaler"), {
        labelSelector: managed,
      }),
      disruptionBudgets: group("PodDisruptionBudget", toOwner("PodDisruptionBudget"), {
        labelSelector: managed,
      }),
      secrets: group<Secret>("Secret", toReaders("Secret"), {
        transform: (object) => withHashedData(object as Secret),
      }),
      configMaps: group<ConfigMap>("ConfigMap", toReaders("ConfigMap"), {
        transform: (object) => withHashedData(object as ConfigMap),
      }),
    };
    this.groups = Object.values(this.caches) as InformerGroup<KubeObject>[];
    this.makeGroup = group;
  }

  private readonly makeGroup: <T extends KubeObject>(
    kind: ResourceKind,
    onEvent: (type: InformerEventType, object: T) => void,
  ) => InformerGroup<T>;

  /**
   * HTTPRoutes are watched only where the Gateway API is installed: a canary with gatewayAPI
   * routing hears of an edited route at once. Elsewhere a route is read when it is needed.
   */
  private async watchRoutesIfServed(): Promise<InformerGroup<KubeObject> | undefined> {
    const served = await this.options.api.get<{ resources?: Array<{ name: string }> }>(
      "/apis/gateway.networking.k8s.io/v1",
    );
    if (!served?.resources?.some((resource) => resource.name === "httproutes")) return undefined;
    const routes = this.makeGroup<KubeObject>("HTTPRoute", (_type, route) => {
      this.recent.observe("HTTPRoute", route);
      for (const key of this.dataReaders.get(
        routeReadKey(`${route.metadata.namespace}/${route.metadata.name}`),
      ) ?? [])
        this.enqueue(key);
    });
    this.caches.httpRoutes = routes;
    this.groups.push(routes as InformerGroup<KubeObject>);
    return routes;
  }

  /**
   * Asks the API server whether it serves HTTPRoutes; while it cannot answer, asks again every
   * ROUTE_DISCOVERY_RETRY_MS in the background (the operator starts, and stays live, meanwhile).
   */
  private async discoverRoutes(startNow: boolean): Promise<void> {
    try {
      const routes = await this.watchRoutesIfServed();
      if (startNow && routes) await routes.start();
    } catch (error) {
      this.options.log.warn({ err: error }, "cannot tell whether the Gateway API is served; asking again");
      this.routeDiscovery = setTimeout(() => void this.discoverRoutes(true), ROUTE_DISCOVERY_RETRY_MS);
      this.routeDiscovery.unref();
    }
  }

  /** Every cache has been filled and its list/watch is not failing over and over. */
  get healthy(): boolean {
    return this.synced && this.groups.every((informers) => informers.healthy);
  }

  /** Starts the informers and waits for their first list. */
  async start(): Promise<void> {
    await this.discoverRoutes(false);
    await Promise.all(this.groups.map((informers) => informers.start()));
    this.synced = true;
    this.updateGauges();
  }

  /** Starts the workers (on becoming leader) and reconciles every agent once. */
  startWorkers(): void {
    if (this.running) return;
    this.running = true;
    this.workers = Array.from({ length: this.options.workers }, () => this.work());
    this.resyncAll();
    this.resyncTimer = setInterval(() => this.resyncAll(), this.options.resyncMs);
    this.resyncTimer.unref();
  }

  /** Queues every agent: the periodic safety net, and what the steady-state test triggers. */
  resyncAll(): void {
    for (const agent of this.caches.agents.list())
      this.enqueue(`${agent.metadata.namespace}/${agent.metadata.name}`);
  }

  /** Stops taking keys, lets in-flight reconciles finish (up to the deadline), stops the informers. */
  async shutdown(deadlineMs: number): Promise<void> {
    clearInterval(this.resyncTimer);
    clearTimeout(this.routeDiscovery);
    this.queue.shutDown();
    const drained = Promise.all(this.workers);
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, deadlineMs).unref())]);
    await Promise.all(this.groups.map((informers) => informers.stop()));
  }

  private enqueue(key: string): void {
    this.queue.add(key);
    this.options.metrics.queueDepth.set(this.queue.length);
  }

  private onAgentEvent(type: InformerEventType, object: KubeObject): void {
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    this.recent.observe("AgentDeployment", object);
    const shape = JSON.stringify([
      object.metadata.generation,
      object.metadata.labels,
      object.metadata.annotations,
    ]);
    const changed = this.agentShapes.get(key) !== shape;
    if (type === "DELETED") this.agentShapes.delete(key);
    else this.agentShapes.set(key, shape);
    // A status-only update (the operator's own write) needs no reconcile, nor a new read index.
    if (type === "MODIFIED" && !changed) return;
    this.indexReads(key, type === "DELETED" ? undefined : object);
    this.enqueue(key);
    // Agents whose tools call this one learn its port, its key Secret, or that it is gone.
    for (const reader of [...(this.dataReaders.get(agentReadKey(key)) ?? [])]) {
      const [namespace = "", name = ""] = reader.split("/");
      this.indexReads(reader, this.caches.agents.get(namespace, name));
      this.enqueue(reader);
    }
  }

  private indexReads(key: string, object: KubeObject | undefined): void {
    for (const name of this.agentReads.get(key) ?? []) this.dataReaders.get(name)?.delete(key);
    this.agentReads.delete(key);
    if (!object) return;
    const parsed = parseAgentDeployment(object);
    if (!parsed.ok) return;
    const names = [
      ...referencedData(
        object.metadata.name,
        parsed.value.spec,
        calledAgentsOf(parsed.value, this.caches.agents),
      ).map((reference) => `${object.metadata.namespace}/${reference.name}`),
      ...(parsed.value.spec.agent.tools ?? []).flatMap((tool) =>
        tool.agentRef ? [agentReadKey(`${object.metadata.namespace}/${tool.agentRef.name}`)] : [],
      ),
      ...[httpRouteOf(parsed.value)].flatMap((route) =>
        route ? [routeReadKey(`${object.metadata.namespace}/${route}`)] : [],
      ),
    ];
    this.agentReads.set(key, names);
    for (const name of names) {
      const readers = this.dataReaders.get(name) ?? new Set<string>();
      readers.add(key);
      this.dataReaders.set(name, readers);
    }
  }

  private async work(): Promise<void> {
    const { metrics, log } = this.options;
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      const started = performance.now();
      try {
        const outcome = await reconcileAgent(key, {
          api: this.options.api,
          caches: this.caches,
          recent: this.recent,
          driftBackoff: this.driftBackoff,
          metrics,
          config: this.options.reconcile,
          prometheus: this.options.prometheus,
          log: log.child({ agent: key }),
          identity: this.options.identity,
          now: this.options.now ?? (() => new Date()),
          generateKey: this.options.generateKey,
        });
        if (outcome.result === "blocked") {
          metrics.queueRetries.inc();
          this.queue.addRateLimited(key);
        } else {
          this.queue.forget(key);
          if (outcome.result === "success" && outcome.requeueAfterMs !== undefined) {
            this.queue.addAfter(key, outcome.requeueAfterMs);
          }
        }
        metrics.reconciles.inc({ result: outcome.result === "gone" ? "success" : outcome.result });
      } catch (error) {
        // A conflict only means the cache was a moment behind; the retry reads the newer object.
        const conflict = error instanceof KubeApiError && error.isConflict;
        metrics.reconciles.inc({ result: conflict ? "conflict" : "error" });
        metrics.queueRetries.inc();
        const delay = this.queue.addRateLimited(key);
        log[conflict ? "debug" : "warn"](
          { err: error, agent: key, retryInMs: delay },
          "reconcile failed; retrying with backoff",
        );
      } finally {
        this.queue.done(key);
        metrics.reconcileDuration.observe((performance.now() - started) / 1000);
        metrics.queueDepth.set(this.queue.length);
      }
    }
  }

  updateGauges(): void {
    const names: Array<[string, InformerGroup<KubeObject>]> = Object.entries(this.caches);
    for (const [resource, informers] of names)
      this.options.metrics.cachedObjects.set({ resource }, informers.size);
    const phases = new Map<string, number>(AGENT_PHASES.map((phase) => [phase, 0]));
    for (const agent of this.caches.agents.list()) {
      const phase = (agent as { status?: { phase?: string } }).status?.phase ?? "Unknown";
      phases.set(phase, (phases.get(phase) ?? 0) + 1);
    }
    for (const [phase, count] of phases) this.options.metrics.agents.set({ phase }, count);
  }
}

const ROUTE_DISCOVERY_RETRY_MS = 10_000;

/** The read-index entry of the HTTPRoute a canary sets weights on. */
function routeReadKey(key: string): string {
  return `route:${key}`;
}

/** Every phase is exported, at 0 when no agent has it, so an alert on Degraded has a series to read. */
const AGENT_PHASES = [...PHASES, "Unknown"];

/** The read-index entry of an agent that others call as a tool (Secrets and ConfigMaps use ns/name). */
function agentReadKey(key: string): string {
  return `agent:${key}`;
}
