/**
 * Late data: spans and evals for a session that was already decided. The decided session's summary is extended and
 * reconsidered (src/sessions/decided-update.ts), the next version is logged and written, and an upgrade to kept reads
 * the session's earlier spans back from the log (backfill). During recovery, decisions logged before the crash are
 * reused at the place they were made instead of being made again.
 */
import type { EvalResult, NormalizedSpan } from '../model/span.js';
import type { Journal } from '../durability/journal.js';
import type { Logger } from '../log.js';
import type { DecisionCache } from '../sampling/decision-cache.js';
import type { DecisionEngine } from '../sampling/engine.js';
import type { Decision } from '../model/decision.js';
import type { CountedSpans } from './counted-spans.js';
import { updateDecided } from './decided-update.js';
import { spanKey } from './keys.js';
import type { SessionMetrics } from './metrics.js';
import type { PendingWrites } from './pending-writes.js';
import type { SpanDetails } from './span-detail.js';
import type { PinnedReads } from '../durability/pinned-reads.js';
import type { DecisionRecord, SpanReadBack } from './types.js';
import type { SessionWrite } from '../model/session.js';

export interface LateDataParams {
  cache: DecisionCache;
  engine: DecisionEngine;
  counted: CountedSpans;
  metrics: SessionMetrics;
  journal: Journal;
  pending: PendingWrites;
  details: SpanDetails;
  /** Read-backs in flight, shared with span details (the buffer's pins). */
  reads: PinnedReads;
  /** Reads logged requests' spans back for upgrades. */
  readSpans: SpanReadBack;
  log: Logger;
}

/** Applies late spans and evals to decided sessions, and backfills upgraded ones from the log. */
export class LateData {
  /**
   * Decisions logged before a crash, by tenant, session, first decision LSN and version (versions ≥ 2): filled when
   * recovery starts, emptied when it ends, so late data reuses them instead of deciding again. Live it is empty.
   */
  private readonly recorded = new Map<string, { lsn: number; decision: Decision }>();

  constructor(private readonly p: LateDataParams) {}

  /** Starts recovery: decisions logged before the crash (versions ≥ 2) are reused, never re-made. */
  beginReplay(recorded: readonly { lsn: number; record: DecisionRecord }[]): void {
    this.recorded.clear();
    for (const { lsn, record } of recorded) {
      if (record.version < 2 || record.firstDecisionLsn === undefined) continue;
      this.recorded.set(decisionKey(record.tenantId, record.sessionId, record.firstDecisionLsn, record.version), { lsn, decision: record.decision });
    }
  }

  /** Ends recovery: from now on late data is decided again. */
  endReplay(): void {
    this.recorded.clear();
  }

  /**
   * Late spans and/or evals for a decided session (`adopted`: a kept decision another instance made, applied instead
   * of reconsidering). False when the decision cache no longer knows the session: the caller opens it again.
   */
  apply(tenantId: string, sessionId: string, spans: NormalizedSpan[], evals: EvalResult[], lsns: readonly number[], adopted?: Decision): boolean {
    const { cache, metrics, counted } = this.p;
    const before = cache.get(tenantId, sessionId);
    const recorded = this.recorded;
    const u = updateDecided({
      cache,
      engine: this.p.engine,
      tenantId,
      sessionId,
      spans,
      evals,
      ...(adopted === undefined ? {} : { adopted }),
      ...(before?.firstDecisionLsn !== undefined ? { recorded: (v: number) => recorded.get(decisionKey(tenantId, sessionId, before.firstDecisionLsn!, v))?.decision } : {}),
    });
    if (u === null) return false;
    if (spans.length > 0) metrics.lateSpans.inc({ decision: u.previous.kept ? 'kept' : 'dropped' }, spans.length);
    const countedIds = counted.add(tenantId, sessionId, spans);
    if (u.upgraded) metrics.upgrades.inc();
    if (before?.firstDecisionLsn !== undefined) {
      const entry = cache.get(tenantId, sessionId)!;
      const requestLsns = [...(before.requestLsns ?? []), ...lsns];
      const replayed = recorded.get(decisionKey(tenantId, sessionId, before.firstDecisionLsn, u.write.version));
      let decisionLsn = replayed?.lsn;
      if (decisionLsn === undefined) {
        const logged = this.p.journal.log({ type: 'decision', tenantId, sessionId, version: u.write.version, decision: u.write.decision, firstDecisionLsn: before.firstDecisionLsn, summary: u.write.summary, requestLsns, ...(countedIds === '' ? {} : { counted: countedIds }) });
        if (logged.status === 'ok') decisionLsn = logged.value.lsn;
      }
      cache.set(tenantId, sessionId, { ...entry, requestLsns, ...(decisionLsn === undefined ? {} : { decisionLsn }) });
      if (u.upgraded) this.backfill(u.write, before.requestLsns ?? []);
    }
    // Spans moved in from a lean open session have their rows follow once read back, as for a first decision.
    this.p.details.write(u.write);
    return true;
  }

  /**
   * An upgraded session's earlier spans were dropped: read them back from the log (while within retention) and
   * write them as kept. Their usage was counted when they arrived, so the write does not count it again.
   */
  private backfill(w: SessionWrite, lsns: readonly number[]): void {
    if (lsns.length === 0) return;
    const pin = lsns.reduce((a, b) => Math.min(a, b));
    const { tenantId, sessionId } = w.summary;
    const traces = new Set(w.summary.traceIds);
    const have = new Set(w.spans.map((x) => spanKey(x.traceId, x.spanId)));
    const work = this.p
      .readSpans(lsns)
      .then((read) => {
        const spans: NormalizedSpan[] = [];
        for (const span of read) {
          if (span.tenantId !== tenantId) continue;
          if (span.sessionId !== sessionId && !traces.has(span.traceId)) continue;
          const k = spanKey(span.traceId, span.spanId);
          if (have.has(k)) continue;
          have.add(k);
          spans.push(span);
        }
        this.p.metrics.backfilledSpans.inc(spans.length);
        if (spans.length === 0) return;
        this.p.pending.write({ ...w, spans, storeSpans: true, countUsage: false, part: 'backfill', pinLsn: pin });
      })
      .catch((err: unknown) => this.p.log.error({ err, tenantId, sessionId }, 'could not read an upgraded session back from the log'));
    this.p.reads.track(work, pin);
  }
}

function decisionKey(tenantId: string, sessionId: string, firstDecisionLsn: number, version: number): string {
  return `${tenantId}\u0000${sessionId}\u0000${firstDecisionLsn}\u0000${version}`;
}
