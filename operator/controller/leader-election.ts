import type { Logger } from "pino";
import { FIELD_MANAGER } from "../api/constants.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import { KubeApiError } from "../kube/kube-api-error.ts";
import { resourcePath } from "../kube/resources.ts";

export interface LeaderElectionOptions {
  api: KubeApi;
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  /**
   * Deadline of one acquire or renew attempt (its GET and PUT together), shorter than the renew
   * deadline, so a request that hangs cannot keep the elector from deciding; default half of it.
   */
  attemptTimeoutSeconds?: number;
  onStartedLeading: () => void;
  /** Called when leadership is lost; the process should stop acting at once. */
  onStoppedLeading: () => void;
}

interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/**
 * Leader election through a coordination.k8s.io Lease, as client-go does it: a candidate takes
 * the Lease when its holder has not renewed it for leaseDuration (measured on the candidate's own
 * clock from when it last saw the record change, so clock skew does not matter), the leader
 * renews every retryPeriod and gives up leading when it could not renew within renewDeadline.
 *
 * The renew deadline is a timer of its own, armed at the start of each successful renewal, and
 * every attempt has a deadline: a leader whose requests hang steps down renewDeadline after its
 * last renewal began, before any candidate can see the Lease expire (leaseDuration after it saw
 * that renewal, which was no earlier). Having stepped down, it does not campaign again.
 */
export class LeaderElector {
  private readonly options: Required<LeaderElectionOptions>;
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private renewDeadline: NodeJS.Timeout | undefined;

  constructor(options: LeaderElectionOptions) {
    const renewDeadlineSeconds = options.renewDeadlineSeconds ?? 10;
    this.options = {
      leaseDurationSeconds: 15,
      renewDeadlineSeconds,
      retryPeriodSeconds: 2,
      attemptTimeoutSeconds: renewDeadlineSeconds / 2,
      ...options,
    };
    if (this.options.renewDeadlineSeconds >= this.options.leaseDurationSeconds)
      throw new Error("leader election: renewDeadline must be shorter than leaseDuration");
    if (this.options.attemptTimeoutSeconds >= this.options.renewDeadlineSeconds)
      throw new Error("leader election: the attempt timeout must be shorter than renewDeadline");
  }

  start(): void {
    void this.tick();
  }

  /** Stops campaigning; a leader clears the Lease so a standby takes over without waiting. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.renewDeadline);
    if (!this.leading) return;
    this.leading = false;
    try {
      const call = { timeoutMs: this.options.attemptTimeoutSeconds * 1000 };
      const lease = await this.options.api.get<Lease>(this.path(), call);
      if (lease?.spec.holderIdentity === this.options.identity) {
        const now = microTime(new Date());
        await this.options.api.replace(
          this.path(),
          {
            ...lease,
            spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: now },
          },
          FIELD_MANAGER,
          call,
        );
      }
    } catch (error) {
      this.options.log.warn({ err: error }, "could not release the leader lease");
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = new Date();
    let renewed = false;
    try {
      renewed = await this.tryAcquireOrRenew(started);
    } catch (error) {
      this.options.log.warn({ err: error }, "leader election attempt failed");
    }
    if (this.stopped) return;
    if (renewed) {
      // From the attempt's start: the Lease's renewTime, and what candidates saw, is no earlier.
      this.lastRenew = started.getTime();
      clearTimeout(this.renewDeadline);
      this.renewDeadline = setTimeout(
        () => this.stepDown(),
        this.lastRenew + this.options.renewDeadlineSeconds * 1000 - Date.now(),
      );
      if (!this.leading) {
        this.leading = true;
        this.options.log.info({ identity: this.options.identity }, "became leader");
        this.options.onStartedLeading();
      }
    }
    this.timer = setTimeout(() => void this.tick(), this.options.retryPeriodSeconds * 1000);
  }

  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    this.stopped = true;
    clearTimeout(this.timer);
    this.options.log.error(
      { lastRenewal: new Date(this.lastRenew).toISOString() },
      "lost the leader lease: could not renew it within the renew deadline",
    );
    this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(now: Date): Promise<boolean> {
    const { api, identity, leaseDurationSeconds } = this.options;
    const deadline = now.getTime() + this.options.attemptTimeoutSeconds * 1000;
    const call = () => ({ timeoutMs: Math.max(1, deadline - Date.now()) });
    const lease = await api.get<Lease>(this.path(), call());
    if (!lease) {
      await api.create(
        resourcePath("Lease", { namespace: this.options.namespace }),
        {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.options.name, namespace: this.options.namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        },
        FIELD_MANAGER,
        call(),
      );
      return true;
    }
    const record = JSON.stringify(lease.spec);
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const holder = lease.spec.holderIdentity;
    const duration = (lease.spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const expired = !holder || Date.now() - (this.observed?.at ?? 0) > duration;
    if (holder !== identity && !expired) return false;
    const transitions = (lease.spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    try {
      await api.replace(
        this.path(),
        {
          ...lease,
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: holder === identity ? lease.spec.acquireTime : microTime(now),
            renewTime: microTime(now),
            leaseTransitions: transitions,
          },
        },
        FIELD_MANAGER,
        call(),
      );
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.isConflict) return false;
      throw error;
    }
  }

  private path(): string {
    return resourcePath("Lease", { namespace: this.options.namespace, name: this.options.name });
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
