/**
 * The completion sweep: one unref'ed interval for all sessions. Each sweep retries held writes, decides the sessions
 * that are due (idle, max age), then relieves memory: past the buffer's soft limit, and under process memory pressure.
 */
import type { SessionsConfig } from '../config/sessions.js';
import type { Decider } from './deciding.js';
import type { SessionGroups } from './grouping.js';
import type { PendingWrites } from './pending-writes.js';

/** Under process memory pressure, one sweep decides early the oldest sessions holding up to this share of the open bytes. */
export const PRESSURE_SHARE_PER_SWEEP = 0.25;

export interface CompletionSweepParams {
  config: SessionsConfig;
  groups: SessionGroups;
  decider: Decider;
  pending: PendingWrites;
  now: () => number;
}

/** Decides sessions when they are due and when memory runs short. */
export class CompletionSweep {
  private timer: NodeJS.Timeout | null = null;
  /** Set while the process is at its memory limit (80 % of receive.overload.maxRssBytes): each sweep decides the oldest sessions early. */
  private memoryPressure = false;

  constructor(private readonly p: CompletionSweepParams) {}

  /** Starts the periodic sweep. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.sweep(), this.p.config.sweepIntervalMs);
    this.timer.unref();
  }

  /** Stops it (shutdown decides what is left). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** See SessionBuffer.setMemoryPressure. */
  setMemoryPressure(over: boolean): void {
    this.memoryPressure = over;
  }

  /** Decides what is due: retries held writes, then idle / aged sessions, then memory pressure. */
  sweep(): void {
    const nowMs = this.p.now();
    this.p.pending.retry();
    // Deleting the entry being visited is safe in a Map iteration: no copy of a large buffer per sweep.
    for (const s of this.p.groups.sessions()) {
      const trigger = s.dueTrigger(nowMs);
      if (trigger !== null) this.p.decider.decide(s, trigger);
    }
    this.relieveMemory();
    if (this.memoryPressure) this.relieveProcessMemory();
  }

  /** Past the soft limit, decides the oldest sessions early until back under it. */
  relieveMemory(): void {
    const { config, groups, pending } = this.p;
    const soft = config.maxBufferBytes * config.softLimitRatio;
    for (const s of groups.sessions()) {
      if (groups.bytes + pending.bytes <= soft) break;
      this.p.decider.decide(s, 'early:memory');
    }
  }

  /** Under process memory pressure: decides the oldest sessions early, up to a share of the open bytes per sweep. */
  private relieveProcessMemory(): void {
    const budget = this.p.groups.bytes * PRESSURE_SHARE_PER_SWEEP;
    let freed = 0;
    for (const s of this.p.groups.sessions()) {
      if (freed > 0 && freed + s.bytes > budget) break;
      freed += s.bytes;
      this.p.decider.decide(s, 'early:memory');
    }
  }
}
