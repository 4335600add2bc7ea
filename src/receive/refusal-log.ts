/**
 * Refused Export requests, logged as totals: one line per error code per interval with how many requests it refused
 * (span counts are in /metrics, agenttail_receive_spans_refused_total), never one line per request (STYLE.md 11) — a client retrying a refusal would flood the log.
 */
import type { ErrorCode } from '../model/errors.js';
import type { Logger } from '../log.js';

/** Default interval between refusal summaries. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000; // 10 s

interface Tally {
  requests: number;
  transports: Set<string>;
  lastMessage: string;
}

/** Counts refusals per code and logs what it counted once per interval (timer unref'd) and on stop. */
export class RefusalLog {
  private readonly tallies = new Map<ErrorCode, Tally>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly p: { log: Logger; intervalMs?: number }) {}

  /** Counts one refused request. */
  note(code: ErrorCode, transport: string, message: string): void {
    let t = this.tallies.get(code);
    if (t === undefined) this.tallies.set(code, (t = { requests: 0, transports: new Set(), lastMessage: '' }));
    t.requests++;
    t.transports.add(transport);
    t.lastMessage = message;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.flush(), this.p.intervalMs ?? REFUSAL_LOG_INTERVAL_MS);
    this.timer.unref();
  }

  /** Logs what was counted since the last flush (one line per code) and starts counting afresh. */
  flush(): void {
    const intervalMs = this.p.intervalMs ?? REFUSAL_LOG_INTERVAL_MS;
    for (const [code, t] of this.tallies) {
      this.p.log.warn({ code, requests: t.requests, transports: [...t.transports].sort(), intervalMs, example: t.lastMessage }, 'export requests refused');
    }
    this.tallies.clear();
  }

  /** Stops the timer and logs what is left. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.flush();
  }
}
