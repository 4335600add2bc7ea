/**
 * Load shedding by event-loop lag and by process memory. When the main thread cannot keep up (more requests than
 * CPU), requests queue in front of the handler and each waits behind all the decoding before it: latency and memory
 * grow and nothing tells clients to back off. The guard measures how late a short timer fires; past `maxLagMs`, Export
 * requests are refused retryably **before decoding** (a refusal costs microseconds, a decode milliseconds), so the
 * queue drains and clients back off on the RetryInfo.
 *
 * The loop does not always lag when the process is overloaded (many short callbacks keep the timer on time while
 * queued request bodies pile up), so the guard also samples the process RSS on the same timer: from RSS_REFUSE_RATIO
 * of `maxRssBytes` on it refuses until RSS falls below RSS_RESUME_RATIO of the cap (hysteresis, so it does not flap), and
 * tells `onMemoryPressure` when the state changes so the session buffer can give memory back. While over, it also
 * forces a full garbage collection at most every `gcIntervalMs`: garbage V8 has not collected yet counts in RSS.
 */
import { AgtError } from '../model/errors.js';
import type { Logger } from '../log.js';
import { ok, retryable, type Outcome } from '../model/outcome.js';
import { RSS_REFUSE_RATIO, rssRefuseFromBytes } from '../config/receive.js';

/** Refusing for memory stops once RSS is below this share of the cap. */
export const RSS_RESUME_RATIO = 0.75;

/** Parameters of OverloadGuard. */
export interface OverloadGuardParams {
  /** Refuse while the loop lags more than this (ms); 0 switches the lag check off. */
  maxLagMs: number;
  /** Refuse while the process RSS is at or above this (bytes); 0 (the default) switches the memory check off. */
  maxRssBytes?: number;
  /** How often the lag is sampled. */
  intervalMs?: number;
  /** How often RSS is sampled (on the same timer; a read costs a syscall). */
  rssIntervalMs?: number;
  /** Retry delay suggested to refused clients. */
  retryAfterMs: number;
  /** Monotonic clock in ms (tests inject one). */
  now?: () => number;
  /** Reads the process RSS in bytes (tests inject one). */
  readRssBytes?: () => number;
  /** Called with true when RSS reaches the cap and with false when it falls below the resume level. */
  onMemoryPressure?: (over: boolean) => void;
  /** One line per change of the memory state. */
  log?: Logger;
  /** Forces a full garbage collection (src/receive/force-gc.ts); called while RSS is over the limit. */
  collectGarbage?: () => void;
  /** At most one forced collection per this many ms while over the limit (default 2000). */
  gcIntervalMs?: number;
}

/** Event-loop lag and RSS measurement and the admission check built on them. */
export class OverloadGuard {
  private asked = 0;
  private readonly intervalMs: number;
  private readonly rssIntervalMs: number;
  private readonly maxRssBytes: number;
  private readonly now: () => number;
  private readonly readRssBytes: () => number;
  private lastTickAt: number;
  private lastLagMs = 0;
  private lastRssAt = -Infinity;
  private lastRssBytes = 0;
  private peakRss = 0;
  private overMemory = false;
  private lastGcAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly p: OverloadGuardParams) {
    this.maxRssBytes = p.maxRssBytes ?? 0;
    this.rssIntervalMs = p.rssIntervalMs ?? 100;
    // Without the lag check the timer only samples RSS, so it need not fire more often than that.
    this.intervalMs = p.maxLagMs > 0 ? (p.intervalMs ?? 20) : this.rssIntervalMs;
    this.now = p.now ?? (() => performance.now());
    this.readRssBytes = p.readRssBytes ?? (() => process.memoryUsage.rss());
    this.lastTickAt = this.now();
  }

  /** The memory cap in bytes (0 = off). */
  get rssLimitBytes(): number {
    return this.maxRssBytes;
  }

  /** The highest RSS sampled since start (0 while the memory check is off). */
  get peakRssBytes(): number {
    return this.peakRss;
  }

  /** True while requests are refused for memory. */
  get memoryPressure(): boolean {
    return this.overMemory;
  }

  /** Starts sampling (an unref'ed interval) when either check is on; RSS is sampled at once. */
  start(): void {
    if ((this.p.maxLagMs <= 0 && this.maxRssBytes <= 0) || this.timer !== null) return;
    this.lastTickAt = this.now();
    this.lastRssAt = -Infinity;
    this.sampleRss(this.lastTickAt);
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sample: how much later than due the timer fired, and RSS when its interval has passed (tests call it with an injected clock). */
  tick(): void {
    const t = this.now();
    this.lastLagMs = Math.max(0, t - this.lastTickAt - this.intervalMs);
    this.lastTickAt = t;
    this.sampleRss(t);
  }

  /**
   * The current lag: the last sample, or — when the loop has been busy since it (a long run of queued callbacks,
   * this request among them) — how overdue the next sample already is.
   */
  lagMs(): number {
    return Math.max(this.lastLagMs, this.now() - this.lastTickAt - this.intervalMs);
  }

  /** Export requests asked about so far (every signal, admitted or not): the idle collection's sign of traffic. */
  get requestsAsked(): number {
    return this.asked;
  }

  /** `retryable` AGT_ERR_OVERLOADED while the lag is past the limit, AGT_ERR_MEMORY_LIMIT while RSS is over the cap. */
  admit(): Outcome<void> {
    this.asked += 1;
    if (this.timer === null) return ok();
    if (this.p.maxLagMs > 0) {
      const lag = this.lagMs();
      if (lag > this.p.maxLagMs) {
        const err = new AgtError('AGT_ERR_OVERLOADED', `collector overloaded: event loop ${Math.round(lag)} ms behind (limit ${this.p.maxLagMs} ms)`, { retryInMs: this.p.retryAfterMs });
        return retryable(err, this.p.retryAfterMs);
      }
    }
    if (this.overMemory) {
      const msg = `collector at its memory limit: RSS ${mib(this.lastRssBytes)} ≥ ${mib(this.refuseFromBytes())}, ${RSS_REFUSE_RATIO * 100} % of receive.overload.maxRssBytes ${mib(this.maxRssBytes)}; refusing until RSS < ${mib(this.resumeBelowBytes())}`;
      return retryable(new AgtError('AGT_ERR_MEMORY_LIMIT', msg, { retryInMs: this.p.retryAfterMs }), this.p.retryAfterMs);
    }
    return ok();
  }

  private refuseFromBytes(): number {
    return rssRefuseFromBytes(this.maxRssBytes);
  }

  private resumeBelowBytes(): number {
    return Math.floor(this.maxRssBytes * RSS_RESUME_RATIO);
  }

  private sampleRss(t: number): void {
    if (this.maxRssBytes <= 0 || t - this.lastRssAt < this.rssIntervalMs) return;
    this.lastRssAt = t;
    const rss = this.readRssBytes();
    this.lastRssBytes = rss;
    if (rss > this.peakRss) this.peakRss = rss;
    const over = this.overMemory ? rss >= this.resumeBelowBytes() : rss >= this.refuseFromBytes();
    if (over && this.p.collectGarbage !== undefined && t - this.lastGcAt >= (this.p.gcIntervalMs ?? 2_000)) {
      this.lastGcAt = t;
      this.p.collectGarbage();
    }
    if (over === this.overMemory) return;
    this.overMemory = over;
    if (over) this.p.log?.warn({ rssBytes: rss, maxRssBytes: this.maxRssBytes }, `RSS reached ${RSS_REFUSE_RATIO * 100} % of receive.overload.maxRssBytes: refusing Export requests (retryable) and deciding open sessions early`);
    else this.p.log?.info({ rssBytes: rss, resumeBelowBytes: this.resumeBelowBytes() }, 'RSS back under the memory cap: accepting Export requests again');
    this.p.onMemoryPressure?.(over);
  }
}

/** Bytes as MiB with one decimal, and the exact figure: `812.3 MiB (851755008 bytes)`. */
function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB (${bytes} bytes)`;
}
