/**
 * A loaded process settles near what it holds once the load stops (issue 30, point 3). V8 collects the old
 * generation when it allocates, so after a burst the process can sit for many seconds on garbage that RSS still
 * counts: measured after 155 MiB of buffered requests (`bench/buffered-rss.ts --phases growth`, spans held lean),
 * old-space "used" 235 MiB of which 171 MiB live, and 32 MiB of young generation. Once the event loop has been idle
 * for two checks in a row (its utilization at most 5 %, or no Export request since the previous check: on a
 * CPU-starved machine small timers stretch the utilization) and the heap has grown `minGrowthBytes` since the last
 * full collection, one compacting full collection runs (src/receive/force-gc.ts `compactGarbage`) and V8 hands the
 * freed pages back. A plain one left the old space at 218 MiB for 131 MiB live; compacted it is 134 MiB, and RSS
 * growth went from 1.65–2.0× the buffered wire bytes to 1.14–1.23×. Compacting moves every live object: its pause
 * grows with the heap (~400 ms for 174 MiB live against ~150 ms for a plain one, on this loaded 2-core machine), so
 * above `maxCompactHeapBytes` (1 GiB) the plain collection runs instead. Busy processes are never paused: the check
 * needs the loop idle, and a grown heap that is live (buffered sessions) is not collected again until it grows by as
 * much once more.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Counter, type Registry } from 'prom-client';

export interface IdleGcParams {
  registry: Registry;
  /** Runs a full collection; false when the runtime offers no way to. */
  collectGarbage: () => boolean;
  /**
   * Runs a full collection that also compacts (src/receive/force-gc.ts): used instead of `collectGarbage` while the
   * heap is at most `maxCompactHeapBytes`, since its pause grows with what is live (~2.3 ms per MiB measured).
   */
  compactGarbage?: () => boolean;
  /** Above this heap used, the plain collection runs (default 1 GiB: a compacting pause of ~2.5 s). */
  maxCompactHeapBytes?: number;
  /** Heap growth since the last full collection that makes an idle one worth its pause (default 64 MiB). */
  minGrowthBytes?: number;
  /** How often the loop's idleness is checked (default 1 s). */
  intervalMs?: number;
  /** At or below this share of the interval busy, the loop counts as idle (default 0.05). */
  idleUtilization?: number;
  /**
   * A count that grows with traffic (Export requests asked about): a check where it has not moved counts as idle
   * even when the loop's utilization is above `idleUtilization` (a CPU-starved machine stretches small timers).
   */
  readActivity?: () => number;
  /**
   * Hands the malloc heap's free pages back (src/main/malloc-trim.ts): after each idle collection, and on an idle
   * check with traffic since the last trim at most every `minTrimIntervalMs` (native memory a burst freed, request
   * frames and the like, is not V8's heap and grows no collection).
   */
  trimMalloc?: () => Promise<boolean>;
  /** Default 10 s. */
  minTrimIntervalMs?: number;
  /** Tests: the clock (ms). */
  now?: () => number;
  /** Tests: the heap's used bytes and the loop's utilization since the last call. */
  readHeapUsed?: () => number;
  readUtilization?: () => number;
}

/** One full collection when the collector goes idle with a heap grown since the last one. */
export class IdleGc {
  private readonly collected: Counter;
  private readonly minGrowth: number;
  private readonly idleShare: number;
  private readonly readHeapUsed: () => number;
  private readonly readUtilization: () => number;
  private timer: NodeJS.Timeout | null = null;
  private idleTicks = 0;
  private lastActivity = -1;
  /** The activity count at the last trim (-2: none yet) and when it ran. */
  private trimmedActivity = -2;
  private trimmedAtMs = Number.NEGATIVE_INFINITY;
  /** Heap used after the last full collection (lowered when V8's own collections go below it). */
  private baseline: number;

  constructor(private readonly p: IdleGcParams) {
    this.collected = new Counter({
      name: 'agenttail_process_idle_gc_total',
      help: 'Compacting full garbage collections run once the event loop went idle (or saw no Export request) with the heap grown 64 MiB since the last one (freed pages go back to the OS)',
      registers: [p.registry],
    });
    this.minGrowth = p.minGrowthBytes ?? 64 * 1024 * 1024;
    this.idleShare = p.idleUtilization ?? 0.05;
    this.readHeapUsed = p.readHeapUsed ?? (() => process.memoryUsage().heapUsed);
    let last: EventLoopUtilization = performance.eventLoopUtilization();
    this.readUtilization =
      p.readUtilization ??
      (() => {
        const now = performance.eventLoopUtilization();
        const u = performance.eventLoopUtilization(now, last).utilization;
        last = now;
        return u;
      });
    this.baseline = this.readHeapUsed();
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), this.p.intervalMs ?? 1_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check: collects when idle twice in a row with the heap grown enough; true when it collected. */
  tick(): boolean {
    const heap = this.readHeapUsed();
    if (heap < this.baseline) this.baseline = heap;
    const activity = this.p.readActivity?.() ?? -1;
    const quiet = activity >= 0 && activity === this.lastActivity;
    this.lastActivity = activity;
    this.idleTicks = this.readUtilization() <= this.idleShare || quiet ? this.idleTicks + 1 : 0;
    if (this.idleTicks < 2) return false;
    const collected = heap - this.baseline >= this.minGrowth && this.collect(heap);
    this.trim(collected, activity);
    if (collected) this.idleTicks = 0;
    return collected;
  }

  private collect(heap: number): boolean {
    const compact = this.p.compactGarbage !== undefined && heap <= (this.p.maxCompactHeapBytes ?? 1024 ** 3);
    if (!(compact ? this.p.compactGarbage!() : this.p.collectGarbage())) return false;
    this.collected.inc();
    this.baseline = this.readHeapUsed();
    return true;
  }

  /** Trims after a collection, or when traffic came since the last trim and the last is `minTrimIntervalMs` old. */
  private trim(collected: boolean, activity: number): void {
    if (this.p.trimMalloc === undefined) return;
    const now = (this.p.now ?? Date.now)();
    if (!collected && (activity === this.trimmedActivity || now - this.trimmedAtMs < (this.p.minTrimIntervalMs ?? 10_000))) return;
    this.trimmedActivity = activity;
    this.trimmedAtMs = now;
    void this.p.trimMalloc();
  }
}
