/**
 * Load shedding by event-loop lag. When the main thread cannot keep up (more requests than CPU), requests queue
 * in front of the handler and each waits behind all the decoding before it: latency and memory grow without bound
 * and nothing tells clients to back off. The guard measures how late a short timer fires; past `maxLagMs`, Export
 * requests are refused retryably **before decoding** (a refusal costs microseconds, a decode milliseconds), so the
 * queue drains, clients back off on the RetryInfo, and memory stays bounded.
 */
import { AgtError } from '../errors.js';
import { ok, retryable, type Outcome } from '../outcome.js';

/** Parameters of OverloadGuard. */
export interface OverloadGuardParams {
  /** Refuse while the loop lags more than this (ms); 0 switches the guard off. */
  maxLagMs: number;
  /** How often the lag is sampled. */
  intervalMs?: number;
  /** Retry delay suggested to refused clients. */
  retryAfterMs: number;
  /** Monotonic clock in ms (tests inject one). */
  now?: () => number;
}

/** Event-loop lag measurement and the admission check built on it. */
export class OverloadGuard {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private lastTickAt: number;
  private lastLagMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly p: OverloadGuardParams) {
    this.intervalMs = p.intervalMs ?? 20;
    this.now = p.now ?? (() => performance.now());
    this.lastTickAt = this.now();
  }

  /** Starts sampling (an unref'ed interval). */
  start(): void {
    if (this.p.maxLagMs <= 0 || this.timer !== null) return;
    this.lastTickAt = this.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sample: how much later than due the timer fired (tests call it directly with an injected clock). */
  tick(): void {
    const t = this.now();
    this.lastLagMs = Math.max(0, t - this.lastTickAt - this.intervalMs);
    this.lastTickAt = t;
  }

  /**
   * The current lag: the last sample, or — when the loop has been busy since it (a long run of queued callbacks,
   * this request among them) — how overdue the next sample already is.
   */
  lagMs(): number {
    return Math.max(this.lastLagMs, this.now() - this.lastTickAt - this.intervalMs);
  }

  /** `retryable` AGT_ERR_OVERLOADED while the lag is past the limit. */
  admit(): Outcome<void> {
    if (this.timer === null) return ok();
    const lag = this.lagMs();
    if (lag <= this.p.maxLagMs) return ok();
    const err = new AgtError('AGT_ERR_OVERLOADED', `collector overloaded: event loop ${Math.round(lag)} ms behind (limit ${this.p.maxLagMs} ms)`, { retryInMs: this.p.retryAfterMs });
    return retryable(err, this.p.retryAfterMs);
  }
}
