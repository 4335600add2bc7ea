/** Main-thread GC pauses (`PerformanceObserver` gc entries), to charge a timed window the pauses that began within it. */
import { PerformanceObserver } from 'node:perf_hooks';

export class GcPauses {
  private readonly seen: { start: number; ms: number }[] = [];

  constructor() {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.seen.push({ start: e.startTime, ms: e.duration });
    }).observe({ entryTypes: ['gc'] });
  }

  /** Forgets the pauses seen so far. */
  clear(): void {
    this.seen.length = 0;
  }

  /**
   * Milliseconds of the pauses that began in [t0, t1) (`performance.now()` times), after `settleMs` for their entries
   * (delivered asynchronously) to arrive; forgets every pause seen.
   */
  async within(t0: number, t1: number, settleMs: number): Promise<number> {
    await new Promise((r) => setTimeout(r, settleMs));
    const ms = this.seen.filter((g) => g.start >= t0 && g.start < t1).reduce((n, g) => n + g.ms, 0);
    this.clear();
    return ms;
  }
}
