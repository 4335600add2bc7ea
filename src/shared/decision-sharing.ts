/**
 * Shared decisions: every `intervalMs`, one insert publishes the kept decisions made here since the last tick, then
 * pages of other instances' kept decisions after the cursor are read and followed. No query per session: the hot
 * path only appends to an in-memory queue. The cursor is on the server's clock (InsertedAt) and only moves forward;
 * a read takes rows inserted more than `settleMs` ago, so an insert still becoming visible is read by a later tick
 * (re-reading a window instead cost 6× the rows in bench/shared-decisions.ts).
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { SharedConfig } from '../config/shared.js';
import type { Logger } from '../log.js';
import type { Decision } from '../model/decision.js';
import type { DecisionsTable, PageCursor, ReadDecision, SharedDecision } from './decisions-table.js';
import type { KeptElsewhereMap } from './kept-elsewhere.js';
import type { SharedMetrics } from './shared-metrics.js';

/** What following a kept decision asks of the session buffer (SessionBuffer.followKept). */
export interface FollowTarget {
  followKept(tenantId: string, sessionId: string, sampleWeight: number): 'upgraded' | 'kept' | 'held';
}

/** Reasons of decisions that followed another instance: never published again. */
const FOLLOWED = new Set(['shared', 'upgrade:shared']);

/** Re-measure the server clock's offset every this many ticks. */
const SKEW_EVERY_TICKS = 300;

/** Publishes kept decisions made here and follows those made elsewhere (see the file comment). */
export class DecisionSharing {
  private pending: SharedDecision[] = [];
  /** A batch whose insert failed: retried under the same token before anything newer. */
  private retry: { rows: SharedDecision[]; token: string } | null = null;
  private readonly published: LRUCache<string, true>;
  private readonly seen: LRUCache<string, true>;
  /** The last row read (server clock): the next page starts strictly after it. */
  private cursor: PageCursor = { afterMs: 0, afterTenantId: '', afterSessionId: '' };
  private skewMs = 0;
  private ticks = 0;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private target: FollowTarget | null = null;
  private failing = false;

  constructor(
    private readonly p: {
      config: SharedConfig['decisions'];
      table: DecisionsTable;
      kept: KeptElsewhereMap;
      metrics: SharedMetrics;
      log: Logger;
      now?: () => number;
    },
  ) {
    this.published = new LRUCache({ max: p.config.maxSeen });
    this.seen = new LRUCache({ max: p.config.maxSeen });
  }

  /** A session write's decision: queued for publishing when kept here (not followed) and not published before. */
  offer(tenantId: string, sessionId: string, decision: Decision): void {
    if (!decision.kept || decision.reasons.some((r) => FOLLOWED.has(r))) return;
    const key = `${tenantId}\u0000${sessionId}`;
    if (this.published.has(key)) return;
    if (this.pending.length >= this.p.config.maxPending) {
      this.p.metrics.dropped.inc();
      return;
    }
    this.published.set(key, true);
    this.pending.push({ tenantId, sessionId, sampleWeight: decision.sampleWeight, reasons: decision.reasons, decidedAtMs: decision.decidedAtMs });
  }

  /** Measures the server clock, sets the cursor `lookbackMs` back, and starts the ticks. */
  async start(target: FollowTarget): Promise<void> {
    this.target = target;
    await this.measureSkew();
    this.cursor = { afterMs: this.serverNow() - this.p.config.lookbackMs - 1, afterTenantId: '', afterSessionId: '' };
    this.timer ??= setInterval(() => void this.tick(), this.p.config.intervalMs);
    this.timer.unref();
  }

  /** One publish + read round now (joins one in progress). */
  tick(): Promise<void> {
    this.ticking ??= this.round().finally(() => (this.ticking = null));
    return this.ticking;
  }

  /** Stops the ticks and publishes what is queued (one last attempt; what fails is counted as dropped). */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    await this.publish();
    const left = this.pending.length + (this.retry?.rows.length ?? 0);
    if (left > 0) {
      this.p.metrics.dropped.inc(left);
      this.p.log.warn({ decisions: left }, 'kept decisions not published at shutdown');
    }
  }

  private async round(): Promise<void> {
    if (++this.ticks % SKEW_EVERY_TICKS === 0) await this.measureSkew();
    await this.publish();
    await this.read();
  }

  private async publish(): Promise<void> {
    if (this.retry === null && this.pending.length > 0) {
      this.retry = { rows: this.pending, token: randomUUID() };
      this.pending = [];
    }
    if (this.retry === null) return;
    try {
      await this.p.table.publish(this.retry.rows, this.retry.token);
      this.p.metrics.published.inc(this.retry.rows.length);
      this.p.metrics.queries.inc({ kind: 'insert', outcome: 'ok' });
      this.retry = null;
      this.recovered();
    } catch (err) {
      this.p.metrics.queries.inc({ kind: 'insert', outcome: 'failed' });
      this.failed(err, 'publishing kept decisions failed; retried next interval');
    }
  }

  private async read(): Promise<void> {
    const { pageRows, maxPagesPerPoll, settleMs } = this.p.config;
    const untilMs = this.serverNow() - settleMs;
    for (let page = 0; page < maxPagesPerPoll; page++) {
      let rows: ReadDecision[];
      try {
        rows = await this.p.table.page(this.cursor, untilMs, pageRows);
        this.p.metrics.queries.inc({ kind: 'select', outcome: 'ok' });
        this.recovered();
      } catch (err) {
        this.p.metrics.queries.inc({ kind: 'select', outcome: 'failed' });
        this.failed(err, 'reading shared decisions failed; retried next interval');
        return;
      }
      for (const r of rows) this.follow(r);
      const last = rows.at(-1);
      if (last !== undefined) this.cursor = { afterMs: last.insertedAtMs, afterTenantId: last.tenantId, afterSessionId: last.sessionId };
      if (rows.length < pageRows) return;
    }
    // A backlog (more than maxPagesPerPoll pages): the next tick goes on from the cursor.
  }

  private follow(r: ReadDecision): void {
    const key = `${r.tenantId}\u0000${r.sessionId}`;
    if (this.seen.has(key)) {
      this.p.metrics.read.inc({ outcome: 'repeat' });
      return;
    }
    this.seen.set(key, true);
    // Nothing to publish for it here: it is kept already where it was decided.
    this.published.set(key, true);
    const outcome = this.target?.followKept(r.tenantId, r.sessionId, r.sampleWeight) ?? 'held';
    if (outcome === 'held') this.p.kept.set(r.tenantId, r.sessionId, r.sampleWeight);
    this.p.metrics.read.inc({ outcome });
  }

  private async measureSkew(): Promise<void> {
    try {
      const before = this.clientNow();
      const server = await this.p.table.serverNowMs();
      const after = this.clientNow();
      // Whole ms: the watermark is bound as an Int64 of ms.
      this.skewMs = Math.round(server - (before + after) / 2);
      this.p.metrics.queries.inc({ kind: 'select', outcome: 'ok' });
    } catch (err) {
      this.p.metrics.queries.inc({ kind: 'select', outcome: 'failed' });
      this.failed(err, 'could not read the ClickHouse clock; assuming it matches ours');
    }
  }

  private serverNow(): number {
    return this.clientNow() + this.skewMs;
  }

  private clientNow(): number {
    return (this.p.now ?? Date.now)();
  }

  /** One log line per failure streak, not one per interval. */
  private failed(err: unknown, msg: string): void {
    if (!this.failing) this.p.log.warn({ err }, msg);
    this.failing = true;
  }

  private recovered(): void {
    if (this.failing) this.p.log.info('shared decisions: ClickHouse answers again');
    this.failing = false;
  }
}
