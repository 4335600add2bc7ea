/**
 * Grouping: which session each span belongs to. Open sessions by tenant + session id (in creation order, oldest
 * first), the trace index of open sessions, and the bytes and spans they hold. A span whose session was decided
 * goes to late data (src/sessions/late-data.ts); a session the decision cache forgot is opened again here.
 */
import type { SessionsConfig } from '../config/sessions.js';
import type { EvalResult, NormalizedSpan } from '../model/span.js';
import type { DecisionCache } from '../sampling/decision-cache.js';
import type { Decision } from '../model/decision.js';
import type { CountedSpans } from './counted-spans.js';
import { spanKey, TenantIndex, tenantKey } from './keys.js';
import type { LateData } from './late-data.js';
import { limitsFor } from './limits.js';
import type { SessionMetrics } from './metrics.js';
import { OpenSession } from './open-session.js';
import type { SpanDetails } from './span-detail.js';
import { CallTable, compactSpan, GenAiTable } from './span-compact.js';
import { isOwnEval, ownEvals } from './span-evals.js';

/** Late spans of one request, grouped by decided session. */
type LateBatch = Map<string, { tenantId: string; sessionId: string; spans: NormalizedSpan[]; seen: Set<string>; lsns: number[] }>;

/**
 * One arrival being placed: the log record it came from (null when there is none of its own — late data re-opening a
 * session the cache forgot brings its records' LSNs separately), its time, the sessions it touched and its late spans.
 */
export interface Arrival {
  lsn: number | null;
  /** The logged request the spans' bytes can be read back from (null: hold them whole). */
  detailLsn: number | null;
  nowMs: number;
  touched: Set<OpenSession>;
  late: LateBatch;
}

/** A fresh arrival of the record at `lsn` (null: none of its own) at `nowMs`; `detailLsn`: see Arrival. */
export function arrivalOf(lsn: number | null, nowMs: number, detailLsn: number | null = null): Arrival {
  return { lsn, detailLsn, nowMs, touched: new Set(), late: new Map() };
}

/** Where a span goes: an open session, or a decided one (by session id). */
type Target = { open: OpenSession } | { decided: string };

export interface GroupingParams {
  config: SessionsConfig;
  cache: DecisionCache;
  counted: CountedSpans;
  metrics: SessionMetrics;
  late: LateData;
  details: SpanDetails;
  now: () => number;
}

/** The open sessions and the trace index over them. */
export class SessionGroups {
  /** Open sessions by tenant + session id, in creation order (oldest first, for early decisions). */
  private readonly open = new Map<string, OpenSession>();
  /** Trace (tenant, trace id) → the open session holding it. */
  private readonly traces = new TenantIndex<OpenSession>();
  private openBytes = 0;
  private openSpans = 0;
  /** Buffered spans' shared GenAI values (span-compact.ts). */
  private readonly genai = new GenAiTable();
  /** Buffered spans' shared provider calls (span-compact.ts). */
  private readonly calls = new CallTable();

  constructor(private readonly p: GroupingParams) {}

  /** Accounted bytes of the open sessions. */
  get bytes(): number {
    return this.openBytes;
  }

  /** Spans held by the open sessions. */
  get spans(): number {
    return this.openSpans;
  }

  get size(): number {
    return this.open.size;
  }

  /** Open sessions, oldest first (deleting the one being visited is safe: a Map iteration). */
  sessions(): IterableIterator<OpenSession> {
    return this.open.values();
  }

  /** The open session of a tenant's session id. */
  get(tenantId: string, sessionId: string): OpenSession | undefined {
    return this.open.get(tenantKey(tenantId, sessionId));
  }

  /** True while `s` is still the open session of its key (a decision may have removed it during an arrival). */
  holds(s: OpenSession): boolean {
    return this.open.get(s.key) === s;
  }

  /** The open session holding a trace. */
  ofTrace(tenantId: string, traceId: string): OpenSession | undefined {
    return this.traces.get(tenantId, traceId);
  }

  /** Puts each span in its session and late spans into their decided ones; returns the evals about other traces. */
  placeSpans(spans: readonly NormalizedSpan[], arrival: Arrival): Map<string, EvalResult[]> {
    const foreignEvals = new Map<string, EvalResult[]>();
    for (const span of spans) {
      this.route(span, arrival);
      // Indexed: a for-of over the shared frozen empty list allocates an iterator per span.
      const evals = span.evals;
      for (let i = 0; i < evals.length; i++) {
        const e = evals[i]!;
        if (isOwnEval(e, span)) continue;
        const list = foreignEvals.get(span.tenantId) ?? [];
        list.push(e);
        foreignEvals.set(span.tenantId, list);
      }
    }
    for (const l of arrival.late.values()) this.applyLate(l.tenantId, l.sessionId, l.spans, ownEvals(l.spans), l.lsns);
    return foreignEvals;
  }

  /** Late spans and/or evals for a decided session; re-opens the session when the cache forgot it. */
  applyLate(tenantId: string, sessionId: string, spans: NormalizedSpan[], evals: EvalResult[], lsns: readonly number[], adopted?: Decision): void {
    if (this.p.late.apply(tenantId, sessionId, spans, evals, lsns, adopted)) return;
    const nowMs = this.p.now();
    const s = this.get(tenantId, sessionId) ?? this.create(tenantId, sessionId, spans.some((x) => x.sessionId !== null), nowMs);
    // The spans' own records are the `lsns` added below.
    const arrival = arrivalOf(null, nowMs);
    for (const span of spans) this.place(span, { open: s }, arrival);
    for (const l of lsns) s.addLsn(l);
    s.evals.push(...evals);
  }

  /** Takes a session out of the buffer (it is being decided). */
  remove(s: OpenSession): void {
    this.open.delete(s.key);
    for (const t of s.traceIds) this.traces.deleteIf(s.tenantId, t, s);
    this.openBytes -= s.bytes;
    this.openSpans -= s.spanCount;
  }

  /** Puts one span in its session (see DESIGN: a session id anywhere in a trace takes the whole trace). */
  private route(span: NormalizedSpan, a: Arrival): void {
    const t = span.tenantId;
    const byTrace = this.traces.get(t, span.traceId);
    if (byTrace !== undefined && (byTrace.explicitSession || span.sessionId === null)) {
      // The common case (the span's trace is open): no target object, and the trace is already mapped.
      this.placeOpen(span, byTrace, a, true);
      return;
    }
    let target: Target;
    if (span.sessionId !== null) {
      target = this.sessionTarget(t, span.sessionId, a.nowMs);
      // A new turn of a decided session: its spans without a session alias (HTTP children) must follow it too.
      if ('decided' in target) this.p.cache.setTrace(t, span.traceId, target.decided);
      if (byTrace !== undefined) this.moveInto(byTrace, target, a);
    } else {
      const decidedIn = this.p.cache.sessionOfTrace(t, span.traceId);
      target = decidedIn !== undefined ? { decided: decidedIn } : { open: this.create(t, span.traceId, false, a.nowMs) };
    }
    this.place(span, target, a);
  }

  private sessionTarget(tenantId: string, sessionId: string, nowMs: number): Target {
    const open = this.get(tenantId, sessionId);
    if (open !== undefined) return { open };
    if (this.p.cache.get(tenantId, sessionId) !== undefined) return { decided: sessionId };
    return { open: this.create(tenantId, sessionId, true, nowMs) };
  }

  private create(tenantId: string, sessionId: string, explicitSession: boolean, nowMs: number): OpenSession {
    const s = new OpenSession({ tenantId, sessionId, explicitSession, limits: limitsFor(this.p.config, tenantId), nowMs, genai: this.genai });
    // A session decided before and forgotten by the decision cache: its re-delivered spans are still counted once.
    s.countedBefore = this.p.counted.knows(tenantId, sessionId);
    this.open.set(s.key, s);
    return s;
  }

  private place(span: NormalizedSpan, target: Target, a: Arrival): void {
    if ('open' in target) {
      this.placeOpen(span, target.open, a, false);
      return;
    }
    const key = tenantKey(span.tenantId, target.decided);
    const entry = a.late.get(key) ?? { tenantId: span.tenantId, sessionId: target.decided, spans: [], seen: new Set<string>(), lsns: a.lsn === null ? [] : [a.lsn] };
    const id = spanKey(span.traceId, span.spanId);
    // Duplicates within one request, and re-deliveries of spans the decided session counted already.
    if (entry.seen.has(id) || this.p.counted.has(span.tenantId, target.decided, span.traceId, span.spanId)) {
      this.p.metrics.duplicates.inc();
      return;
    }
    // Late spans are held lean like buffered ones: a kept session's are read back whole when written (late-data.ts),
    // so a span decoded without its other attributes (src/receive/span-attr-filter.ts) loses nothing.
    this.p.details.slim(span, a.detailLsn);
    entry.seen.add(id);
    entry.spans.push(span);
    a.late.set(key, entry);
  }

  /** Adds a span to an open session; `traceMapped` when its trace is known to map to `s` already. */
  private placeOpen(span: NormalizedSpan, s: OpenSession, a: Arrival, traceMapped: boolean): void {
    // Lean first, so the span is charged what it will hold (memory.ts).
    this.p.details.slim(span, a.detailLsn);
    // Shared values before the span goes into the columns (it is not kept as an object).
    compactSpan(span, this.genai, this.calls);
    const bytes = s.countedBefore && this.p.counted.has(s.tenantId, s.sessionId, span.traceId, span.spanId) ? 0 : s.add(span, a.nowMs);
    if (bytes === 0) {
      this.p.metrics.duplicates.inc();
      return;
    }
    this.openBytes += bytes;
    this.openSpans += 1;
    if (a.lsn !== null) s.addLsn(a.lsn);
    if (!traceMapped) this.traces.set(s.tenantId, span.traceId, s);
    a.touched.add(s);
  }

  /** A bare-trace session whose trace turned out to carry a session id: its spans move over whole. */
  private moveInto(from: OpenSession, target: Target, a: Arrival): void {
    if ('open' in target && target.open === from) return;
    this.remove(from);
    a.touched.delete(from);
    const spans = from.spans();
    this.p.metrics.moved.inc(spans.length);
    // Moved spans came in earlier requests: never held lean against this request's record (its bytes are not theirs).
    const moved: Arrival = { ...a, detailLsn: null };
    for (const s of spans) this.place(s, target, moved);
    if ('open' in target) {
      target.open.evals.push(...from.evals);
      for (const l of from.requestLsns) target.open.addLsn(l);
    } else {
      const entry = a.late.get(tenantKey(from.tenantId, target.decided));
      if (entry !== undefined) entry.lsns.push(...from.requestLsns);
      if (from.evals.length > 0) this.applyLate(from.tenantId, target.decided, [], from.evals, from.requestLsns);
    }
  }
}
