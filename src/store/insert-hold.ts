/**
 * Inserts wait while the process is at its memory refusal line. An insert into the embedded engine takes memory
 * outside the JS heap for as long as it runs (the statement text copied into chDB, the parsed block, the part being
 * written): measured ~70–130 MB of RSS over a burst of inserts at 2× overload (bench/e2e.ts, bench/README.md), most of
 * what lifted RSS past `receive.overload.maxRssBytes`. Rows waiting in the queue cost far less than that, and the log
 * holds them, so while RSS is at or above the refusal line an insert waits (polled, at most `maxHoldMs`, so an RSS
 * that stays high for reasons of its own cannot stop the store: the insert then goes ahead).
 */
import type { StoreConfig } from '../config/store.js';
import { rssRefuseFromBytes } from '../config/receive.js';

/** How often a held insert looks at RSS again. */
export const HOLD_POLL_MS = 25;
/** Longest one insert waits for RSS to fall; past it the insert is sent anyway (the data must get in). */
export const MAX_HOLD_MS = 5_000;

/** Parameters of InsertHold. */
export interface InsertHoldParams {
  /** RSS at or above which inserts wait (bytes); 0 = never wait. */
  holdFromBytes: number;
  /** Reads the process RSS in bytes (tests inject one). */
  readRssBytes?: () => number;
  /** Waits `ms` (tests inject one). */
  sleep?: (ms: number) => Promise<void>;
  maxHoldMs?: number;
  now?: () => number;
}

/** Holds inserts back while RSS is at or above a line. */
export class InsertHold {
  private readonly readRss: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly p: InsertHoldParams) {
    this.readRss = p.readRssBytes ?? (() => process.memoryUsage.rss());
    this.sleep = p.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = p.now ?? (() => performance.now());
  }

  /** Ends holding for good (the store is closing: its last rows must go in before the shutdown deadline); held inserts go at their next poll. */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves once RSS is under the line, or after `maxHoldMs`, with how long it waited (ms; 0 = not held). */
  async waitForRoom(): Promise<number> {
    if (this.stopped || this.p.holdFromBytes <= 0 || this.readRss() < this.p.holdFromBytes) return 0;
    const start = this.now();
    const maxHoldMs = this.p.maxHoldMs ?? MAX_HOLD_MS;
    while (this.now() - start < maxHoldMs) {
      await this.sleep(HOLD_POLL_MS);
      if (this.stopped || this.readRss() < this.p.holdFromBytes) break;
    }
    return Math.max(this.now() - start, Number.MIN_VALUE);
  }
}

/** The hold of the embedded engine's inserts under an RSS cap (none without a cap; a server's memory is not ours). */
export function insertHoldFor(store: Pick<StoreConfig, 'kind'>, rssCapBytes: number): InsertHold | undefined {
  if (store.kind !== 'embedded' || rssCapBytes <= 0) return undefined;
  return new InsertHold({ holdFromBytes: rssRefuseFromBytes(rssCapBytes) });
}
