/**
 * Deciding: a complete open session leaves the buffer, is summarized and decided by the engine, the decision is
 * logged, cached (with its traces) and its first write queued. Recovery decides the same way with the decision the
 * log holds, or seeds the cache from it when the session's requests were settled and not replayed.
 */
import { checkAggregates } from '../conventions/aggregates.js';
import { crashPoint } from '../crashpoints.js';
import type { Journal } from '../durability/journal.js';
import type { Logger } from '../log.js';
import type { DecisionCache } from '../sampling/decision-cache.js';
import type { DecisionEngine } from '../sampling/engine.js';
import type { Decision, DecisionTrigger } from '../model/decision.js';
import type { CountedSpans } from './counted-spans.js';
import type { SessionGroups } from './grouping.js';
import type { SessionMetrics } from './metrics.js';
import type { OpenSession } from './open-session.js';
import type { PendingWrites } from './pending-writes.js';
import { ownEvals } from './span-evals.js';
import { emptySummary, extendSummary } from './summary.js';
import type { DecisionRecord } from './types.js';
import type { SessionSummary } from '../model/session.js';
import type { NormalizedSpan } from '../model/span.js';
import type { SpanDetails } from './span-detail.js';

export interface DecidingParams {
  engine: DecisionEngine;
  cache: DecisionCache;
  groups: SessionGroups;
  counted: CountedSpans;
  metrics: SessionMetrics;
  journal: Journal;
  pending: PendingWrites;
  details: SpanDetails;
  log: Logger;
  now: () => number;
}

/** Decides open sessions, live and in recovery. */
export class Decider {
  constructor(private readonly p: DecidingParams) {}

  /** Decides a complete session, logs the decision and queues its first write. */
  decide(s: OpenSession, trigger: DecisionTrigger): void {
    const { metrics } = this.p;
    this.p.groups.remove(s);
    const spans = s.spans();
    const summary = this.summarize(s, spans);
    const decision = this.p.engine.decide({ summary, spans }, trigger);
    metrics.countDecided(trigger, decision.kept);
    metrics.decisionDelay.observe({ trigger }, Math.max(0, this.p.now() - s.lastArrivalMs) / 1000);
    if (trigger === 'early:memory') metrics.early.inc();
    const counted = this.p.counted.add(s.tenantId, s.sessionId, spans);
    // Small control records are never refused at the disk cap (only data records are), so this cannot fail for room.
    const logged = this.p.journal.log({ type: 'decision', tenantId: s.tenantId, sessionId: s.sessionId, version: 1, decision, summary, requestLsns: s.requestLsns, counted });
    crashPoint('decision-logged');
    this.settle(s, spans, summary, decision, logged.status === 'ok' ? logged.value.lsn : undefined);
  }

  /**
   * A logged decision. Version 1 decides the open session with the logged decision and summary; when the session
   * is not open (its requests were settled and skipped), the decision cache is seeded from the record, as is the
   * case for a later version whose late data was skipped.
   */
  replay(lsn: number, r: DecisionRecord): void {
    const { counted, cache } = this.p;
    if (r.counted !== undefined) counted.restore(r.tenantId, r.sessionId, r.counted);
    if (r.version === 1) {
      // The sketches learn from every logged session again, as they did when it was decided.
      if (r.summary !== undefined) this.p.engine.learn({ summary: r.summary, spans: [] }, r.decision);
      const s = this.p.groups.get(r.tenantId, r.sessionId);
      if (s !== undefined) {
        this.p.groups.remove(s);
        const spans = s.spans();
        if (r.counted === undefined) counted.add(s.tenantId, s.sessionId, spans);
        const summary = r.summary ?? this.summarize(s, spans);
        this.p.metrics.countDecided(r.decision.trigger, r.decision.kept);
        this.settle(s, spans, summary, r.decision, lsn);
        return;
      }
      this.seed(lsn, r, lsn);
      return;
    }
    const e = cache.get(r.tenantId, r.sessionId);
    if (r.firstDecisionLsn !== undefined && (e === undefined || e.firstDecisionLsn !== r.firstDecisionLsn || e.version < r.version)) this.seed(lsn, r, r.firstDecisionLsn);
  }

  private seed(lsn: number, r: DecisionRecord, firstDecisionLsn: number): void {
    if (r.summary === undefined) return;
    this.p.cache.set(r.tenantId, r.sessionId, { decision: r.decision, summary: r.summary, version: r.version, firstDecisionLsn, decisionLsn: lsn, requestLsns: r.requestLsns ?? [] });
    for (const t of r.summary.traceIds) this.p.cache.setTrace(r.tenantId, t, r.sessionId);
  }

  private summarize(s: OpenSession, spans: readonly NormalizedSpan[]): SessionSummary {
    const summary = extendSummary(emptySummary(s), spans, [...ownEvals(spans), ...s.evals]);
    summary.bytes = s.bytes;
    const mismatches = checkAggregates(spans);
    if (mismatches.length > 0) {
      this.p.metrics.aggregateMismatches.inc(mismatches.length);
      this.p.log.debug({ tenantId: s.tenantId, sessionId: s.sessionId, mismatches }, 'aggregate usage differs from its calls');
    }
    return summary;
  }

  /** Caches a decision made (or replayed) for an open session, logged at `lsn`, and queues the first write. */
  private settle(s: OpenSession, spans: NormalizedSpan[], summary: SessionSummary, decision: Decision, lsn: number | undefined): void {
    const logged = lsn !== undefined;
    this.p.cache.set(s.tenantId, s.sessionId, {
      decision,
      summary,
      version: 1,
      ...(logged ? { firstDecisionLsn: lsn, decisionLsn: lsn, requestLsns: [...s.requestLsns] } : {}),
    });
    for (const t of s.traceIds) this.p.cache.setTrace(s.tenantId, t, s.sessionId);
    // A kept session held lean has its span rows follow once read back from the log (span-detail.ts).
    this.p.details.write({
      summary,
      decision,
      version: 1,
      spans,
      storeSpans: decision.kept,
      countUsage: true,
      ...(logged ? { firstDecisionLsn: lsn, pinLsn: s.minLsn } : {}),
    });
  }
}
