/**
 * An operator replica as its metrics see it, for the alert tests: the operator's real metrics
 * (`createOperatorMetrics`) and real work queue, driven the way the controller drives them (a
 * resync that queues every agent, workers that reconcile a key, count the result and requeue a
 * failed key with the queue's backoff), with each agent's reconcile outcome chosen by the test.
 * Time is vitest's fake clock, so an hour of operation takes a moment.
 */
import { PHASES } from "../../../operator/api/constants.ts";
import { createOperatorMetrics } from "../../../operator/controller/metrics.ts";
import { WorkQueue } from "../../../operator/controller/work-queue.ts";

/** conflict: one error (the cache was a moment behind), then success on the retry. */
export type ReconcileOutcome = "success" | "error" | "conflict" | "hang";

export interface ReplicaSettings {
  instance: string;
  workers: number;
  resyncMs: number;
}

export class OperatorReplica {
  readonly metrics = createOperatorMetrics();
  readonly instance: string;
  /** false once the process is gone: Prometheus no longer scrapes it. */
  up = true;
  private readonly queue = new WorkQueue();
  private readonly outcomes = new Map<string, ReconcileOutcome>();
  private readonly phases = new Map<string, string>();
  private resync: NodeJS.Timeout | undefined;
  private readonly settings: ReplicaSettings;

  constructor(settings: ReplicaSettings) {
    this.settings = settings;
    this.metrics.observeQueue(this.queue);
    this.instance = settings.instance;
    this.updateGauges();
  }

  /** An agent in the cache, with its status.phase and what reconciling it does; the change queues it. */
  setAgent(key: string, phase: string, outcome: ReconcileOutcome = "success"): void {
    this.phases.set(key, phase);
    this.outcomes.set(key, outcome);
    this.updateGauges();
    if (this.resync) {
      this.queue.add(key);
      this.metrics.queueDepth.set(this.queue.length);
    }
  }

  /** Holds the Lease: workers start and every agent is reconciled, then again each resync. */
  startLeading(): void {
    this.metrics.leader.set(1);
    for (let worker = 0; worker < this.settings.workers; worker++) void this.work();
    this.resyncAll();
    this.resync = setInterval(() => this.resyncAll(), this.settings.resyncMs);
  }

  /** The process exits (leadership lost, node gone): no more samples. */
  stop(): void {
    this.up = false;
    clearInterval(this.resync);
    this.queue.shutDown();
  }

  private resyncAll(): void {
    for (const key of this.outcomes.keys()) this.queue.add(key);
    this.metrics.queueDepth.set(this.queue.length);
  }

  private updateGauges(): void {
    const counts = new Map<string, number>([...PHASES, "Unknown"].map((phase) => [phase, 0]));
    for (const phase of this.phases.values()) counts.set(phase, (counts.get(phase) ?? 0) + 1);
    for (const [phase, count] of counts) this.metrics.agents.set({ phase }, count);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const outcome = this.outcomes.get(key) ?? "success";
      if (outcome === "hang") return; // the worker never comes back, the key stays in processing
      if (outcome === "conflict") this.outcomes.set(key, "success");
      if (outcome === "error" || outcome === "conflict") {
        this.metrics.reconciles.inc({ result: outcome });
        this.metrics.queueRetries.inc();
        this.queue.addRateLimited(key);
      } else {
        this.metrics.reconciles.inc({ result: "success" });
        this.queue.forget(key);
      }
      this.queue.done(key);
      this.metrics.queueDepth.set(this.queue.length);
    }
  }
}
