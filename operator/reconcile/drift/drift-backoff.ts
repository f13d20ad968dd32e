export interface DriftBackoffOptions {
  /** Repairs of one object counted together. */
  windowMs: number;
  /** Repairs within the window after which the operator stops and reports a fight. */
  limit: number;
  /** First pause; each new fight of the same object doubles it. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_DRIFT_BACKOFF: DriftBackoffOptions = {
  windowMs: 5 * 60_000,
  limit: 3,
  baseMs: 60_000,
  maxMs: 60 * 60_000,
};

/** What is known about a fight over one object, kept so its report stays the same while it lasts. */
export interface DriftFight {
  object: string;
  fields: string[];
  /** Field managers other than the operator's that wrote the object, most recent first. */
  managers: string[];
}

export type DriftDecision =
  | { repair: true }
  | { repair: false; startedFight: boolean; pauseMs: number; fight: DriftFight };

interface ObjectState {
  repairs: number[];
  level: number;
  pausedUntil: number;
  lastSeenAt: number;
  fight: DriftFight | undefined;
}

/**
 * Remembers how often each owned object was repaired lately. Another controller that owns a
 * field (or a person with a loop) would otherwise be fought on every watch event: after `limit`
 * repairs within `windowMs` the object is left alone for a pause that doubles with every new
 * fight, and one repair is tried after each pause. In memory only: a restarted operator starts
 * with a clean slate and at worst repairs `limit` more times.
 */
export class DriftBackoff {
  private readonly objects = new Map<string, ObjectState>();
  private readonly options: DriftBackoffOptions;

  constructor(options: Partial<DriftBackoffOptions> = {}) {
    this.options = { ...DEFAULT_DRIFT_BACKOFF, ...options };
  }

  /** Called when `object` (namespace/agent/Kind/name) drifted: repair it now, or not. */
  decide(object: string, fields: string[], now: number): DriftDecision {
    const { windowMs, limit, baseMs, maxMs } = this.options;
    let state = this.objects.get(object);
    if (!state || now - Math.max(state.lastSeenAt, state.pausedUntil) > 2 * windowMs) {
      state = { repairs: [], level: 0, pausedUntil: 0, lastSeenAt: now, fight: undefined };
      this.objects.set(object, state);
    }
    state.lastSeenAt = now;
    if (now < state.pausedUntil && state.fight) {
      return { repair: false, startedFight: false, pauseMs: state.pausedUntil - now, fight: state.fight };
    }
    state.repairs = state.repairs.filter((at) => now - at < windowMs);
    // After a pause one repair is tried; flipped back again, the next pause is twice as long.
    const threshold = state.level === 0 ? limit : 1;
    if (state.repairs.length < threshold) {
      state.repairs.push(now);
      return { repair: true };
    }
    state.level += 1;
    const pauseMs = Math.min(baseMs * 2 ** (state.level - 1), maxMs);
    state.pausedUntil = now + pauseMs;
    state.repairs = [];
    state.fight = { object, fields, managers: [] };
    return { repair: false, startedFight: true, pauseMs, fight: state.fight };
  }

  /** Records who else writes the object, for the report of a fight. */
  setManagers(object: string, managers: string[]): void {
    const fight = this.objects.get(object)?.fight;
    if (fight) fight.managers = managers;
  }

  /** Forgets every object of an agent (its key "namespace/agent"), e.g. when it is deleted. */
  forgetAgent(agentKey: string): void {
    for (const object of this.objects.keys()) {
      if (object.startsWith(`${agentKey}/`)) this.objects.delete(object);
    }
  }

  get size(): number {
    return this.objects.size;
  }
}
