// One operator process after another in the same namespace, as a restart (a rollout of the
// operator, a node drain) makes them: what the benchmarks count is summed over all of them.
import { setTimeout as sleep } from "node:timers/promises";
import {
  type OperatorOptions,
  type OperatorProcess,
  startOperator,
  totalWrites,
  withoutLease,
} from "./operator-process.ts";
import { cpuSeconds, peakRssMB } from "./process-usage.ts";
import { waitFor } from "./wait-for.ts";

interface FinishedProcess {
  writes: Map<string, number>;
  peakRssMB: number;
  cpuSeconds: number;
  logs: string[];
}

export class RestartableOperator {
  private readonly finished: FinishedProcess[] = [];
  private stopping = false;
  /** Exits nobody asked for (a crash, a lost Lease). */
  unexpectedExits = 0;

  private readonly optionsFor: (generation: number) => OperatorOptions;
  current: OperatorProcess;

  private constructor(optionsFor: (generation: number) => OperatorOptions, current: OperatorProcess) {
    this.optionsFor = optionsFor;
    this.current = current;
    this.watchExit(current);
  }

  /** Starts the first process; `optionsFor(0)`, then `optionsFor(1)` after the first restart, ... */
  static async start(optionsFor: (generation: number) => OperatorOptions): Promise<RestartableOperator> {
    const operator = new RestartableOperator(optionsFor, await startOperator(optionsFor(0)));
    await operator.waitLeading();
    return operator;
  }

  /** Which process runs now: 0 for the first, 1 after one restart. */
  get generation(): number {
    return this.finished.length;
  }

  /** Writes by "verb resource" of every process so far. */
  async writesByTarget(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const process of [...this.finished.map((p) => p.writes), await this.currentWrites()])
      for (const [target, count] of process) counts.set(target, (counts.get(target) ?? 0) + count);
    return counts;
  }

  /** Every log line of every process so far, in order. */
  logs(): string[] {
    return [...this.finished.flatMap((p) => p.logs), ...this.current.logs];
  }

  /** Highest VmHWM of any process. */
  peakRssMB(): number {
    return Math.max(
      ...this.finished.map((p) => p.peakRssMB),
      this.stopping ? 0 : peakRssMB(this.current.pid),
    );
  }

  cpuSeconds(): number {
    const done = this.finished.reduce((total, p) => total + p.cpuSeconds, 0);
    return done + (this.stopping ? 0 : cpuSeconds(this.current.pid));
  }

  /**
   * SIGTERM and a fresh process, which must take the Lease. Write counts are read just before the
   * signal: a write in the drain itself would go uncounted, and a drain at rest has none to make
   * but the Lease's release. Returns the seconds from the signal until the new process leads.
   */
  async restart(): Promise<number> {
    const started = performance.now();
    await this.retire();
    this.current = await startOperator(this.optionsFor(this.generation));
    this.stopping = false;
    this.watchExit(this.current);
    await this.waitLeading();
    return (performance.now() - started) / 1000;
  }

  /** Waits until the write count has not moved for three readings 2 s apart; returns it. */
  async settle(): Promise<number> {
    const count = async () => totalWrites(withoutLease(await this.writesByTarget()));
    let settled = await count();
    for (let quiet = 0; quiet < 3; ) {
      await sleep(2000);
      const now = await count();
      quiet = now === settled ? quiet + 1 : 0;
      settled = now;
    }
    return settled;
  }

  async stop(): Promise<void> {
    await this.retire();
  }

  private async retire(): Promise<void> {
    const process = this.current;
    const writes = await this.currentWrites();
    const usage = { peakRssMB: peakRssMB(process.pid), cpuSeconds: cpuSeconds(process.pid) };
    this.stopping = true;
    await process.stop();
    this.finished.push({ writes, ...usage, logs: process.logs });
  }

  private async waitLeading(): Promise<void> {
    const process = this.current;
    await waitFor(
      `operator ${process.identity} to lead`,
      async () => process.isLeader().catch(() => false),
      120_000,
      () => process.logs.slice(-20).join("\n"),
      500,
    );
  }

  /** One scrape of the operator's /metrics went unanswered once at 10 000 agents: ask again. */
  private async currentWrites(): Promise<Map<string, number>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.current.writesByTarget();
      } catch (error) {
        if (attempt >= 5) throw error;
        console.log(`reading the operator's write count failed, trying again: ${(error as Error).message}`);
      }
    }
  }

  private watchExit(process: OperatorProcess): void {
    void process.exited.then((code) => {
      if (this.stopping) return;
      this.unexpectedExits++;
      console.log(`operator ${process.identity} exited with ${code}:\n${process.logs.slice(-20).join("\n")}`);
    });
  }
}
