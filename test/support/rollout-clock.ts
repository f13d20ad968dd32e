/** What the clock reads of an AgentDeployment. */
export interface ObservedAgent {
  metadata: { name: string };
  status?: { observedGeneration?: number; phase?: string };
}

export type RolloutEnd =
  | { name: string; outcome: "Healthy"; seconds: number }
  | { name: string; outcome: "Degraded" | "Superseded" | "TimedOut"; seconds: number };

/**
 * Times rollouts from the spec change to the first status that describes that generation and
 * says Healthy, fed by a watch (every event of every agent) rather than by polling each agent.
 * Times are in milliseconds on any monotonic clock.
 */
export class RolloutClock {
  private readonly pending = new Map<string, { generation: number; startedAt: number }>();

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * A rollout of `name` to `generation` started at `startedAt`; a rollout of the same agent still
   * in flight ends as Superseded.
   */
  begin(name: string, generation: number, startedAt: number): RolloutEnd[] {
    const previous = this.pending.get(name);
    this.pending.set(name, { generation, startedAt });
    return previous
      ? [{ name, outcome: "Superseded", seconds: (startedAt - previous.startedAt) / 1000 }]
      : [];
  }

  /** One watched state of an agent at `at`: ends its rollout when it is Healthy or Degraded at the generation. */
  observe(agent: ObservedAgent | undefined, at: number): RolloutEnd[] {
    if (!agent) return [];
    const name = agent.metadata.name;
    const rollout = this.pending.get(name);
    const status = agent.status;
    if (!rollout || (status?.observedGeneration ?? 0) < rollout.generation) return [];
    if (status?.phase !== "Healthy" && status?.phase !== "Degraded") return [];
    this.pending.delete(name);
    return [{ name, outcome: status.phase, seconds: (at - rollout.startedAt) / 1000 }];
  }

  /** Ends every rollout in flight longer than `timeoutMs` at `now` as TimedOut. */
  expire(now: number, timeoutMs: number): RolloutEnd[] {
    const ended: RolloutEnd[] = [];
    for (const [name, rollout] of this.pending) {
      if (now - rollout.startedAt < timeoutMs) continue;
      this.pending.delete(name);
      ended.push({ name, outcome: "TimedOut", seconds: (now - rollout.startedAt) / 1000 });
    }
    return ended;
  }
}
