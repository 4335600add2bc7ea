/**
 * Backoff waits that end early when ClickHouse is back. An outage of a minute grows the writer's backoff to its cap
 * (store.retry.maxMs, 30 s by default), so without this the first insert after ClickHouse returns could wait most of
 * that. While anyone waits, the gate pings ClickHouse every `probeIntervalMs` and wakes every waiter on the first
 * answer, and an insert that succeeds wakes the others too.
 */

/** Timer functions, injectable so tests drive the gate with fake timers. */
export interface GateTimers {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

interface Waiter {
  resolve: () => void;
  timer: unknown;
  /** Woken by a successful ping (the failure was a connection failure, not a refusal of a live server). */
  onPing: boolean;
}

/** Default probe interval: how late, at most, inserts resume after ClickHouse answers again. */
export const PROBE_INTERVAL_MS = 500;

/** Shared by every table's inserts of one store. */
export class ResumeGate {
  private readonly waiters = new Set<Waiter>();
  private probe: unknown = null;
  private closed = false;
  private readonly timers: GateTimers;

  constructor(
    private readonly p: {
      /** True when ClickHouse answers (a failed or thrown ping is false). */
      ping: () => Promise<boolean>;
      probeIntervalMs?: number;
      timers?: GateTimers;
    },
  ) {
    this.timers = p.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  }

  /**
   * Resolves after `delayMs`, or sooner: when an insert succeeds (wake()), or, with `wakeOnPing`, when ClickHouse
   * answers a ping. A live server that refuses (TOO_MANY_PARTS, memory) or times out answers pings too: its waits use
   * `wakeOnPing` false.
   */
  wait(delayMs: number, wakeOnPing: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const w: Waiter = { resolve, timer: null, onPing: wakeOnPing };
      w.timer = this.timers.setTimeout(() => this.release(w), delayMs);
      this.waiters.add(w);
      if (wakeOnPing) this.scheduleProbe();
    });
  }

  /** Ends every wait now (an insert went through: ClickHouse takes inserts again). */
  wake(): void {
    for (const w of [...this.waiters]) this.release(w);
  }

  /** Ends every wait and stops probing (the store is closing). */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private release(w: Waiter): void {
    if (!this.waiters.delete(w)) return;
    this.timers.clearTimeout(w.timer);
    w.resolve();
  }

  private scheduleProbe(): void {
    if (this.probe !== null || this.closed) return;
    this.probe = this.timers.setTimeout(() => void this.runProbe(), this.p.probeIntervalMs ?? PROBE_INTERVAL_MS);
  }

  private async runProbe(): Promise<void> {
    let up = false;
    try {
      up = await this.p.ping();
    } catch {
      up = false;
    }
    this.probe = null;
    if (up) for (const w of [...this.waiters]) if (w.onPing) this.release(w);
    if ([...this.waiters].some((w) => w.onPing)) this.scheduleProbe();
  }
}
