/**
 * Eval routing: evals go to their session — by session id, else by the trace they judged (the open buffer first,
 * then the decision cache) — and are queued for the evals table under the log record they came from.
 */
import type { EvalResult, NormalizedSpan } from '../model/span.js';
import type { DecisionCache } from '../sampling/decision-cache.js';
import type { SessionGroups } from './grouping.js';
import type { SessionMetrics } from './metrics.js';
import type { OpenSession } from './open-session.js';
import type { PendingWrites } from './pending-writes.js';
import { ownEvals } from './span-evals.js';

/** Which path an eval came by: posted (api), carried by a span about another trace (routed), or a log record (log). */
export type EvalPart = 'api' | 'routed' | 'log';

export interface EvalRoutingParams {
  groups: SessionGroups;
  cache: DecisionCache;
  pending: PendingWrites;
  metrics: SessionMetrics;
}

/** Routes evals to open or decided sessions and queues their rows. */
export class EvalRouter {
  constructor(private readonly p: EvalRoutingParams) {}

  /** Evals about the spans' own trace are kept with them and written now; others go to their target session. */
  placeWithSpans(spans: readonly NormalizedSpan[], foreignEvals: Map<string, EvalResult[]>, lsn: number): void {
    const own = ownEvals(spans);
    if (own.length > 0) this.p.pending.writeEvals(spans[0]!.tenantId, own, evalsTag(lsn, 'own', spans[0]!.tenantId));
    for (const [tenantId, evals] of foreignEvals) this.route(tenantId, evals, lsn, 'routed');
  }

  /** Sends each eval to its session: by session id, else by trace id (open buffer, then the cache). */
  route(tenantId: string, evals: EvalResult[], lsn: number, part: EvalPart): void {
    const { groups, cache, metrics } = this.p;
    const decided = new Map<string, EvalResult[]>();
    const rows: EvalResult[] = [];
    for (const e of evals) {
      const t = e.target;
      let open: OpenSession | undefined;
      let decidedId: string | undefined;
      if (t.sessionId !== null) {
        open = groups.get(tenantId, t.sessionId);
        if (open === undefined && cache.get(tenantId, t.sessionId) !== undefined) decidedId = t.sessionId;
      }
      if (open === undefined && decidedId === undefined && t.traceId !== null) {
        open = groups.ofTrace(tenantId, t.traceId);
        if (open === undefined) decidedId = cache.sessionOfTrace(tenantId, t.traceId);
      }
      // An eval that named only its trace (a log record's, most often) is stored under the session the trace joined.
      const sessionId = open?.sessionId ?? decidedId;
      rows.push(t.sessionId === null && sessionId !== undefined ? { ...e, target: { ...t, sessionId } } : e);
      if (open !== undefined) {
        open.evals.push(e);
        open.addLsn(lsn);
        metrics.evals.inc({ routed: 'open' });
      } else if (decidedId !== undefined) {
        const list = decided.get(decidedId) ?? [];
        list.push(e);
        decided.set(decidedId, list);
        metrics.evals.inc({ routed: 'decided' });
      } else {
        metrics.evals.inc({ routed: 'unmatched' });
      }
    }
    for (const [sessionId, list] of decided) groups.applyLate(tenantId, sessionId, [], list, []);
    if (rows.length > 0) this.p.pending.writeEvals(tenantId, rows, evalsTag(lsn, part, tenantId));
  }
}

/** Names an evals write by the log record it came from. */
function evalsTag(lsn: number, part: string, tenantId: string): { key: string; pinLsn: number } {
  return { key: `e\u0000${lsn}\u0000${part}\u0000${tenantId}`, pinLsn: lsn };
}
