/**
 * The session buffer: groups normalized spans into agent sessions (tenant + session id, or the bare trace),
 * decides each session once complete (idle, max age, span/byte limit, memory pressure, shutdown), routes
 * late spans and evals to decided sessions through the decision cache, and hands every write to the store.
 */
import { Registry } from 'prom-client';
import type { SessionsConfig } from '../config/sessions.js';
import { checkAggregates } from '../conventions/aggregates.js';
import type { EvalResult, NormalizedSpan } from '../conventions/types.js';
import { crashPoint } from '../crashpoints.js';
import { NoopJournal, type Journal } from '../durability/journal.js';
import type { WalRecord } from '../durability/wal/record-codec.js';
import { AgtError } from '../errors.js';
import type { Logger } from '../log.js';
import { ok, retryable, type Outcome } from '../outcome.js';
import type { RequestSource, SpanSink } from '../pipeline.js';
import type { DecisionCache } from '../sampling/decision-cache.js';
import type { DecisionEngine } from '../sampling/engine.js';
import type { Decision, DecisionTrigger } from '../sampling/types.js';
import type { SessionStore } from '../store/types.js';
import { CountedSpans } from './counted-spans.js';
import { updateDecided } from './decided-update.js';
import { spanKey, TenantIndex, tenantKey } from './keys.js';
import { limitsFor } from './limits.js';
import { retainedBytes, retainedBytesOfRequest } from './memory.js';
import { SessionMetrics } from './metrics.js';
import { OpenSession } from './open-session.js';
import { PendingWrites } from './pending-writes.js';
import { isOwnEval, ownEvals } from './span-evals.js';
import { emptySummary, extendSummary } from './summary.js';
import type { SessionSummary, SessionWrite } from './types.js';

/** A decision record of the log. */
export type DecisionRecord = Extract<WalRecord<Decision, SessionSummary>, { type: 'decision' }>;

/** Reads the spans of logged trace requests back, decoded as on arrival (upgrades); the root builds it over the journal. */
export type SpanReadBack = (lsns: readonly number[]) => Promise<NormalizedSpan[]>;

/** Under process memory pressure, one sweep decides early the oldest sessions holding up to this share of the open bytes. */
export const PRESSURE_SHARE_PER_SWEEP = 0.25;

/** Dependencies of the session buffer. */
export interface SessionBufferParams {
  config: SessionsConfig;
  engine: DecisionEngine;
  cache: DecisionCache;
  store: SessionStore;
  registry?: Registry;
  log: Logger;
  /** Wall clock, ms since the epoch (tests inject one and drive `sweep()`). */
  now?: () => number;
  /** Where requests, evals and decisions are logged (default: the no-op journal, durability `off`). */
  journal?: Journal;
  /** Reads logged requests' spans back for upgrades (default: nothing to read). */
  readSpans?: SpanReadBack;
}

/** Counts for health and tests. */
export interface SessionBufferStats {
  openSessions: number;
  bufferedSpans: number;
  /** Accounted bytes of open sessions plus writes held for retry. */
  bufferedBytes: number;
  pendingWrites: number;
}

/** Late spans of one request, grouped by decided session. */
type LateBatch = Map<string, { tenantId: string; sessionId: string; spans: NormalizedSpan[]; seen: Set<string>; lsns: number[] }>;

/**
 * One arrival being placed: the log record it came from (null when there is none of its own — late data re-opening a
 * session the cache forgot brings its records' LSNs separately), its time, the sessions it touched and its late spans.
 */
interface Arrival {
  lsn: number | null;
  nowMs: number;
  touched: Set<OpenSession>;
  late: LateBatch;
}

/** Where a span goes: an open session, or a decided one (by session id). */
type Target = { open: OpenSession } | { decided: string };

/** Groups spans into sessions and decides them; the SpanSink the receivers call. */
export class SessionBuffer implements SpanSink {
  private readonly config: SessionsConfig;
  private readonly engine: DecisionEngine;
  private readonly cache: DecisionCache;
  private readonly store: SessionStore;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly metrics: SessionMetrics;
  /** Open sessions by tenant + session id, in creation order (oldest first, for early decisions). */
  private readonly open = new Map<string, OpenSession>();
  /** Trace (tenant, trace id) → the open session holding it. */
  private readonly traces = new TenantIndex<OpenSession>();
  private readonly pending: PendingWrites;
  private openBytes = 0;
  private openSpans = 0;
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  private readonly journal: Journal;
  private readonly readSpans: SpanReadBack;
  /**
   * Decisions logged before a crash, by tenant, session, first decision LSN and version (versions ≥ 2): filled when
   * recovery starts, emptied when it ends, so late data reuses them instead of deciding again. Live it is empty.
   */
  private readonly recorded = new Map<string, { lsn: number; decision: Decision }>();
  /** Upgrades reading earlier spans back from the log, each with the oldest record it needs. */
  private readonly backfills = new Map<Promise<void>, number>();
  /** Set while the process is at its memory limit (90 % of receive.overload.maxRssBytes): each sweep decides the oldest sessions early. */
  private memoryPressure = false;
  /** What decided sessions counted, so a re-delivery after the decision is counted once. */
  private readonly counted: CountedSpans;

  constructor(params: SessionBufferParams) {
    this.config = params.config;
    this.engine = params.engine;
    this.cache = params.cache;
    this.store = params.store;
    this.log = params.log;
    this.now = params.now ?? Date.now;
    this.metrics = new SessionMetrics({
      registry: params.registry ?? new Registry(),
      state: () => ({ openSessions: this.open.size, bufferedBytes: this.openBytes + this.pending.bytes, bufferedSpans: this.openSpans }),
    });
    this.metrics.limitBytes.set(this.config.maxBufferBytes);
    this.metrics.softLimitBytes.set(this.config.maxBufferBytes * this.config.softLimitRatio);
    this.pending = new PendingWrites({ store: params.store, onRefused: (kind) => this.metrics.storeRefusals.inc({ kind }) });
    this.journal = params.journal ?? new NoopJournal();
    this.readSpans = params.readSpans ?? (() => Promise.resolve([]));
    this.counted = new CountedSpans({ maxBytes: this.config.countedSpansMaxBytes, registry: params.registry ?? new Registry() });
  }

  /** Starts the periodic sweep (one unref'ed interval for all sessions). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.sweep(), this.config.sweepIntervalMs);
    this.timer.unref();
  }

  /** Cheap admission check before decoding a request of `wireBytes`. */
  admit(tenantId: string, wireBytes: number): Outcome<void> {
    return this.room(tenantId, retainedBytesOfRequest(wireBytes));
  }

  /**
   * Buffers the spans of one request (or refuses all of them retryably). With the log, the request is logged
   * first and buffered in the same tick (so the log's order is the buffer's), and the answer waits until the
   * record is durable.
   */
  accept(spans: NormalizedSpan[], source?: RequestSource): Promise<Outcome<void>> {
    if (spans.length === 0) return Promise.resolve(ok());
    let incoming = 0;
    for (const s of spans) incoming += retainedBytes(s);
    const room = this.room(spans[0]!.tenantId, incoming);
    if (room.status !== 'ok') return Promise.resolve(room);
    const logged = this.journal.log({ type: 'request', ...(source ?? unsourced(spans[0]!.tenantId, this.now())) });
    if (logged.status !== 'ok') {
      this.metrics.refusals.inc({ reason: 'wal' });
      return Promise.resolve(logged);
    }
    const out = this.acceptNow(spans, this.now(), logged.value.lsn);
    return logged.value.durable.then((d) => (d.status === 'ok' ? out : d));
  }

  /** Routes evals posted out of band to their session (open or decided) and queues them for the store. */
  acceptEvals(tenantId: string, evals: EvalResult[]): Promise<Outcome<void>> {
    if (this.draining) return Promise.resolve(this.refuse('shutdown', new AgtError('AGT_ERR_SHUTTING_DOWN', 'the collector is shutting down')));
    if (!this.store.hasCapacity()) return Promise.resolve(this.refuse('writer', new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'the storage writer queues are full')));
    const logged = this.journal.log({ type: 'eval', tenantId, evals });
    if (logged.status !== 'ok') {
      this.metrics.refusals.inc({ reason: 'wal' });
      return Promise.resolve(logged);
    }
    this.routeEvals(tenantId, evals, logged.value.lsn, 'api');
    return logged.value.durable;
  }

  /** Evals found in a log record (logged at `lsn` as a logs request, live or replayed): routed like posted evals. */
  acceptLoggedEvals(lsn: number, tenantId: string, evals: EvalResult[]): void {
    this.routeEvals(tenantId, evals, lsn, 'log');
  }

  // ---- recovery (src/durability/durability.ts drives these before the receivers start) ----

  /** Starts recovery: decisions logged before the crash (versions ≥ 2) are reused, never re-made. */
  beginReplay(recorded: readonly { lsn: number; record: DecisionRecord }[]): void {
    this.recorded.clear();
    for (const { lsn, record } of recorded) {
      if (record.version < 2 || record.firstDecisionLsn === undefined) continue;
      this.recorded.set(decisionKey(record.tenantId, record.sessionId, record.firstDecisionLsn, record.version), { lsn, decision: record.decision });
    }
  }

  /** A logged request: its spans go where they went before the crash, with the arrival time they had. */
  replayRequest(lsn: number, spans: NormalizedSpan[], receivedAtMs: number): void {
    this.acceptLogged(spans, receivedAtMs, lsn);
  }

  /** A logged eval post. */
  replayEvals(lsn: number, tenantId: string, evals: EvalResult[]): void {
    this.routeEvals(tenantId, evals, lsn, 'api');
  }

  /**
   * A logged decision. Version 1 decides the open session with the logged decision and summary; when the session
   * is not open (its requests were settled and skipped), the decision cache is seeded from the record, as is the
   * case for a later version whose late data was skipped.
   */
  replayDecision(lsn: number, r: DecisionRecord): void {
    if (r.counted !== undefined) this.counted.restore(r.tenantId, r.sessionId, r.counted);
    if (r.version === 1) {
      // The sketches learn from every logged session again, as they did when it was decided.
      if (r.summary !== undefined) this.engine.learn({ summary: r.summary, spans: [] }, r.decision);
      const s = this.open.get(tenantKey(r.tenantId, r.sessionId));
      if (s !== undefined) {
        this.remove(s);
        if (r.counted === undefined) this.counted.add(s.tenantId, s.sessionId, s.spans);
        const summary = r.summary ?? this.summarize(s);
        this.metrics.countDecided(r.decision.trigger, r.decision.kept);
        this.settleDecision(s, summary, r.decision, lsn);
        return;
      }
      this.seed(lsn, r, lsn);
      return;
    }
    const e = this.cache.get(r.tenantId, r.sessionId);
    if (r.firstDecisionLsn !== undefined && (e === undefined || e.firstDecisionLsn !== r.firstDecisionLsn || e.version < r.version)) this.seed(lsn, r, r.firstDecisionLsn);
  }

  /** Ends recovery once upgrades started during it have read their spans back. */
  async endReplay(): Promise<void> {
    this.recorded.clear();
    await this.settled();
    this.relieveMemory();
  }

  /** Resolves when every upgrade read-back in flight has been handed to the store. */
  async settled(): Promise<void> {
    while (this.backfills.size > 0) await Promise.all([...this.backfills.keys()]);
  }

  /** The oldest log record still needed by open sessions, held writes and upgrades in flight (MAX_SAFE_INTEGER when none). */
  oldestPin(): number {
    let min = this.pending.oldestPin();
    for (const s of this.open.values()) if (s.minLsn < min) min = s.minLsn;
    for (const pin of this.backfills.values()) if (pin < min) min = pin;
    return min;
  }

  private seed(lsn: number, r: DecisionRecord, firstDecisionLsn: number): void {
    if (r.summary === undefined) return;
    this.cache.set(r.tenantId, r.sessionId, { decision: r.decision, summary: r.summary, version: r.version, firstDecisionLsn, decisionLsn: lsn, requestLsns: r.requestLsns ?? [] });
    for (const t of r.summary.traceIds) this.cache.setTrace(r.tenantId, t, r.sessionId);
  }

  /**
   * Another instance kept this session (src/shared/): a part dropped here becomes kept (`upgrade:shared`, that
   * instance's weight) and its spans are read back from the log. 'held' when the session is open here or unknown
   * (the engine then follows at decision time); 'kept' when already kept or dropped by an explicit drop rule.
   */
  followKept(tenantId: string, sessionId: string, sampleWeight: number): 'upgraded' | 'kept' | 'held' {
    const e = this.cache.get(tenantId, sessionId);
    if (e === undefined || this.open.has(tenantKey(tenantId, sessionId))) return 'held';
    if (e.decision.kept || e.decision.reasons.some((r) => r.startsWith('drop:'))) return 'kept';
    const reasons = [...e.decision.reasons, 'upgrade:shared'];
    this.applyLate(tenantId, sessionId, [], [], [], { kept: true, reasons, sampleWeight, trigger: 'upgrade', decidedAtMs: this.now() });
    return 'upgraded';
  }

  /**
   * The process is at its memory limit (true) or back under it (false). While it is, each sweep decides the oldest
   * open sessions holding up to PRESSURE_SHARE_PER_SWEEP of the open bytes (at least one session) early, so their
   * spans go to the store and leave the buffer; the share bounds the work of one sweep.
   */
  setMemoryPressure(over: boolean): void {
    this.memoryPressure = over;
  }

  /** Decides what is due: retries held writes, then idle / aged sessions, then memory pressure. */
  sweep(): void {
    const nowMs = this.now();
    this.pending.retry();
    // Deleting the entry being visited is safe in a Map iteration: no copy of a large buffer per sweep.
    for (const s of this.open.values()) {
      const trigger = s.dueTrigger(nowMs);
      if (trigger !== null) this.decide(s, trigger);
    }
    this.relieveMemory();
    if (this.memoryPressure) this.relieveProcessMemory();
  }

  /** Decides every open session (trigger 'shutdown'), then flushes the store and retries held writes. */
  async shutdown(): Promise<void> {
    this.draining = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const s of [...this.open.values()]) this.decide(s, 'shutdown');
    this.pending.retry();
    await this.store.forceFlush();
    this.pending.retry();
    if (this.pending.size > 0) {
      // The store could not take them even after a flush: say how many were not written.
      this.log.error({ pendingWrites: this.pending.size }, 'session writes still held at shutdown');
    }
  }

  /** Current counts. */
  stats(): SessionBufferStats {
    return { openSessions: this.open.size, bufferedSpans: this.openSpans, bufferedBytes: this.openBytes + this.pending.bytes, pendingWrites: this.pending.size };
  }

  /** Routes the spans of one request (logged at `lsn`) arriving at `nowMs`; room was checked by the caller. */
  private acceptNow(spans: NormalizedSpan[], nowMs: number, lsn: number): Outcome<void> {
    if (spans.length === 0) return ok();
    const arrival: Arrival = { lsn, nowMs, touched: new Set(), late: new Map() };
    const foreignEvals = this.placeSpans(spans, arrival);
    for (const s of arrival.touched) {
      // Only the size limits can be due right after an arrival (idle and age are the sweep's).
      const trigger = s.dueTrigger(nowMs);
      if ((trigger === 'max_spans' || trigger === 'max_bytes') && this.open.get(s.key) === s) this.decide(s, trigger);
    }
    this.placeEvals(spans, foreignEvals, lsn);
    this.relieveMemory();
    return ok();
  }

  /**
   * Recovery's arrival of a logged request: placed as on arrival, but decisions come from the log at the place they
   * were made, never from the limits or memory relief (endReplay relieves memory once).
   */
  private acceptLogged(spans: NormalizedSpan[], nowMs: number, lsn: number): void {
    if (spans.length === 0) return;
    const arrival: Arrival = { lsn, nowMs, touched: new Set(), late: new Map() };
    this.placeEvals(spans, this.placeSpans(spans, arrival), lsn);
  }

  /** Puts each span in its session and late spans into their decided ones; returns the evals about other traces. */
  private placeSpans(spans: NormalizedSpan[], arrival: Arrival): Map<string, EvalResult[]> {
    const foreignEvals = new Map<string, EvalResult[]>();
    for (const span of spans) {
      this.route(span, arrival);
      for (const e of span.evals) {
        if (isOwnEval(e, span)) continue;
        const list = foreignEvals.get(span.tenantId) ?? [];
        list.push(e);
        foreignEvals.set(span.tenantId, list);
      }
    }
    for (const l of arrival.late.values()) this.applyLate(l.tenantId, l.sessionId, l.spans, ownEvals(l.spans), l.lsns);
    return foreignEvals;
  }

  /** Evals about the span's own trace are kept with it and written now; others go to their target session. */
  private placeEvals(spans: NormalizedSpan[], foreignEvals: Map<string, EvalResult[]>, lsn: number): void {
    const own = ownEvals(spans);
    if (own.length > 0) this.pending.writeEvals(spans[0]!.tenantId, own, this.evalsTag(lsn, 'own', spans[0]!.tenantId));
    for (const [tenantId, evals] of foreignEvals) this.routeEvals(tenantId, evals, lsn, 'routed');
  }

  /** Names an evals write by the log record it came from. */
  private evalsTag(lsn: number, part: string, tenantId: string): { key: string; pinLsn: number } {
    return { key: `e\u0000${lsn}\u0000${part}\u0000${tenantId}`, pinLsn: lsn };
  }

  /** Retryable when `bytes` more would pass the hard limit or the store is full. */
  private room(tenantId: string, bytes: number): Outcome<void> {
    if (this.draining) return this.refuse('shutdown', new AgtError('AGT_ERR_SHUTTING_DOWN', 'the collector is shutting down'));
    const used = this.openBytes + this.pending.bytes;
    if (used + bytes > this.config.maxBufferBytes) {
      const msg = `session buffer full: ${used} of ${this.config.maxBufferBytes} bytes used, request needs ${bytes} (tenant ${tenantId})`;
      return this.refuse('buffer_full', new AgtError('AGT_ERR_BUFFER_FULL', msg, { retryInMs: this.config.retryAfterMs }));
    }
    if (!this.store.hasCapacity()) return this.refuse('writer', new AgtError('AGT_ERR_WRITER_BACKPRESSURE', 'the storage writer queues are full', { retryInMs: this.config.retryAfterMs }));
    return ok();
  }

  private refuse(reason: string, error: AgtError): Outcome<void> {
    this.metrics.refusals.inc({ reason });
    return retryable(error, error.retryInMs ?? this.config.retryAfterMs);
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
      if ('decided' in target) this.cache.setTrace(t, span.traceId, target.decided);
      if (byTrace !== undefined) this.moveInto(byTrace, target, a);
    } else {
      const decidedIn = this.cache.sessionOfTrace(t, span.traceId);
      target = decidedIn !== undefined ? { decided: decidedIn } : { open: this.create(t, span.traceId, false, a.nowMs) };
    }
    this.place(span, target, a);
  }

  private sessionTarget(tenantId: string, sessionId: string, nowMs: number): Target {
    const open = this.open.get(tenantKey(tenantId, sessionId));
    if (open !== undefined) return { open };
    if (this.cache.get(tenantId, sessionId) !== undefined) return { decided: sessionId };
    return { open: this.create(tenantId, sessionId, true, nowMs) };
  }

  private create(tenantId: string, sessionId: string, explicitSession: boolean, nowMs: number): OpenSession {
    const s = new OpenSession({ tenantId, sessionId, explicitSession, limits: limitsFor(this.config, tenantId), nowMs });
    // A session decided before and forgotten by the decision cache: its re-delivered spans are still counted once.
    s.countedBefore = this.counted.knows(tenantId, sessionId);
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
    if (entry.seen.has(id) || this.counted.has(span.tenantId, target.decided, span.traceId, span.spanId)) {
      this.metrics.duplicates.inc();
      return;
    }
    entry.seen.add(id);
    entry.spans.push(span);
    a.late.set(key, entry);
  }

  /** Adds a span to an open session; `traceMapped` when its trace is known to map to `s` already. */
  private placeOpen(span: NormalizedSpan, s: OpenSession, a: Arrival, traceMapped: boolean): void {
    const bytes = s.countedBefore && this.counted.has(s.tenantId, s.sessionId, span.traceId, span.spanId) ? 0 : s.add(span, a.nowMs);
    if (bytes === 0) {
      this.metrics.duplicates.inc();
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
    this.metrics.moved.inc(from.spans.length);
    for (const s of from.spans) this.place(s, target, a);
    if ('open' in target) {
      target.open.evals.push(...from.evals);
      for (const l of from.requestLsns) target.open.addLsn(l);
    } else {
      const entry = a.late.get(tenantKey(from.tenantId, target.decided));
      if (entry !== undefined) entry.lsns.push(...from.requestLsns);
      if (from.evals.length > 0) this.applyLate(from.tenantId, target.decided, [], from.evals, from.requestLsns);
    }
  }

  private remove(s: OpenSession): void {
    this.open.delete(s.key);
    for (const t of s.traceIds) this.traces.deleteIf(s.tenantId, t, s);
    this.openBytes -= s.bytes;
    this.openSpans -= s.spans.length;
  }

  /** Decides a complete session, logs the decision and queues its first write. */
  private decide(s: OpenSession, trigger: DecisionTrigger): void {
    this.remove(s);
    const summary = this.summarize(s);
    const decision = this.engine.decide({ summary, spans: s.spans }, trigger);
    this.metrics.countDecided(trigger, decision.kept);
    this.metrics.decisionDelay.observe({ trigger }, Math.max(0, this.now() - s.lastArrivalMs) / 1000);
    if (trigger === 'early:memory') this.metrics.early.inc();
    const counted = this.counted.add(s.tenantId, s.sessionId, s.spans);
    // Small control records are never refused at the disk cap (only data records are), so this cannot fail for room.
    const logged = this.journal.log({ type: 'decision', tenantId: s.tenantId, sessionId: s.sessionId, version: 1, decision, summary, requestLsns: s.requestLsns, counted });
    crashPoint('decision-logged');
    this.settleDecision(s, summary, decision, logged.status === 'ok' ? logged.value.lsn : undefined);
  }

  private summarize(s: OpenSession): SessionSummary {
    const summary = extendSummary(emptySummary(s), s.spans, [...ownEvals(s.spans), ...s.evals]);
    summary.bytes = s.bytes;
    const mismatches = checkAggregates(s.spans);
    if (mismatches.length > 0) {
      this.metrics.aggregateMismatches.inc(mismatches.length);
      this.log.debug({ tenantId: s.tenantId, sessionId: s.sessionId, mismatches }, 'aggregate usage differs from its calls');
    }
    return summary;
  }

  /** Caches a decision made (or replayed) for an open session, logged at `lsn`, and queues the first write. */
  private settleDecision(s: OpenSession, summary: SessionSummary, decision: Decision, lsn: number | undefined): void {
    const logged = lsn !== undefined;
    this.cache.set(s.tenantId, s.sessionId, {
      decision,
      summary,
      version: 1,
      ...(logged ? { firstDecisionLsn: lsn, decisionLsn: lsn, requestLsns: [...s.requestLsns] } : {}),
    });
    for (const t of s.traceIds) this.cache.setTrace(s.tenantId, t, s.sessionId);
    this.pending.write({
      summary,
      decision,
      version: 1,
      spans: s.spans,
      storeSpans: decision.kept,
      countUsage: true,
      ...(logged ? { firstDecisionLsn: lsn, pinLsn: s.minLsn } : {}),
    });
  }

  /** Late spans and/or evals for a decided session; re-opens the session when the cache forgot it. */
  private applyLate(tenantId: string, sessionId: string, spans: NormalizedSpan[], evals: EvalResult[], lsns: readonly number[], adopted?: Decision): void {
    const before = this.cache.get(tenantId, sessionId);
    const recorded = this.recorded;
    const u = updateDecided({
      cache: this.cache,
      engine: this.engine,
      tenantId,
      sessionId,
      spans,
      evals,
      ...(adopted === undefined ? {} : { adopted }),
      ...(before?.firstDecisionLsn !== undefined ? { recorded: (v: number) => recorded.get(decisionKey(tenantId, sessionId, before.firstDecisionLsn!, v))?.decision } : {}),
    });
    if (u === null) {
      const nowMs = this.now();
      const s = this.open.get(tenantKey(tenantId, sessionId)) ?? this.create(tenantId, sessionId, spans.some((x) => x.sessionId !== null), nowMs);
      // The spans' own records are the `lsns` added below.
      const arrival: Arrival = { lsn: null, nowMs, touched: new Set(), late: new Map() };
      for (const span of spans) this.place(span, { open: s }, arrival);
      for (const l of lsns) s.addLsn(l);
      s.evals.push(...evals);
      return;
    }
    if (spans.length > 0) this.metrics.lateSpans.inc({ decision: u.previous.kept ? 'kept' : 'dropped' }, spans.length);
    const counted = this.counted.add(tenantId, sessionId, spans);
    if (u.upgraded) this.metrics.upgrades.inc();
    if (before?.firstDecisionLsn !== undefined) {
      const entry = this.cache.get(tenantId, sessionId)!;
      const requestLsns = [...(before.requestLsns ?? []), ...lsns];
      const replayed = recorded.get(decisionKey(tenantId, sessionId, before.firstDecisionLsn, u.write.version));
      let decisionLsn = replayed?.lsn;
      if (decisionLsn === undefined) {
        const logged = this.journal.log({ type: 'decision', tenantId, sessionId, version: u.write.version, decision: u.write.decision, firstDecisionLsn: before.firstDecisionLsn, summary: u.write.summary, requestLsns, ...(counted === '' ? {} : { counted }) });
        if (logged.status === 'ok') decisionLsn = logged.value.lsn;
      }
      this.cache.set(tenantId, sessionId, { ...entry, requestLsns, ...(decisionLsn === undefined ? {} : { decisionLsn }) });
      if (u.upgraded) this.backfill(u.write, before.requestLsns ?? []);
    }
    this.pending.write(u.write);
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
    const done = this
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
        this.metrics.backfilledSpans.inc(spans.length);
        if (spans.length === 0) return;
        this.pending.write({ ...w, spans, storeSpans: true, countUsage: false, part: 'backfill', pinLsn: pin });
      })
      .catch((err: unknown) => this.log.error({ err, tenantId, sessionId }, 'could not read an upgraded session back from the log'))
      .finally(() => this.backfills.delete(done));
    this.backfills.set(done, pin);
  }

  /** Sends each eval to its session: by session id, else by trace id (open buffer, then the cache). */
  private routeEvals(tenantId: string, evals: EvalResult[], lsn: number, part: 'api' | 'routed' | 'log'): void {
    const decided = new Map<string, EvalResult[]>();
    const rows: EvalResult[] = [];
    for (const e of evals) {
      const t = e.target;
      let open: OpenSession | undefined;
      let decidedId: string | undefined;
      if (t.sessionId !== null) {
        open = this.open.get(tenantKey(tenantId, t.sessionId));
        if (open === undefined && this.cache.get(tenantId, t.sessionId) !== undefined) decidedId = t.sessionId;
      }
      if (open === undefined && decidedId === undefined && t.traceId !== null) {
        open = this.traces.get(tenantId, t.traceId);
        if (open === undefined) decidedId = this.cache.sessionOfTrace(tenantId, t.traceId);
      }
      // An eval that named only its trace (a log record's, most often) is stored under the session the trace joined.
      const sessionId = open?.sessionId ?? decidedId;
      rows.push(t.sessionId === null && sessionId !== undefined ? { ...e, target: { ...t, sessionId } } : e);
      if (open !== undefined) {
        open.evals.push(e);
        open.addLsn(lsn);
        this.metrics.evals.inc({ routed: 'open' });
      } else if (decidedId !== undefined) {
        const list = decided.get(decidedId) ?? [];
        list.push(e);
        decided.set(decidedId, list);
        this.metrics.evals.inc({ routed: 'decided' });
      } else {
        this.metrics.evals.inc({ routed: 'unmatched' });
      }
    }
    for (const [sessionId, list] of decided) this.applyLate(tenantId, sessionId, [], list, []);
    if (rows.length > 0) this.pending.writeEvals(tenantId, rows, this.evalsTag(lsn, part, tenantId));
  }

  /** Past the soft limit, decides the oldest sessions early until back under it. */
  private relieveMemory(): void {
    const soft = this.config.maxBufferBytes * this.config.softLimitRatio;
    for (const s of this.open.values()) {
      if (this.openBytes + this.pending.bytes <= soft) break;
      this.decide(s, 'early:memory');
    }
  }

  /** Under process memory pressure: decides the oldest sessions early, up to a share of the open bytes per sweep. */
  private relieveProcessMemory(): void {
    const budget = this.openBytes * PRESSURE_SHARE_PER_SWEEP;
    let freed = 0;
    for (const s of this.open.values()) {
      if (freed > 0 && freed + s.bytes > budget) break;
      freed += s.bytes;
      this.decide(s, 'early:memory');
    }
  }
}

function decisionKey(tenantId: string, sessionId: string, firstDecisionLsn: number, version: number): string {
  return `${tenantId}\u0000${sessionId}\u0000${firstDecisionLsn}\u0000${version}`;
}

/**
 * The request of spans handed in without one (tests and tools call `accept(spans)`): logged as an empty request,
 * which replays as no spans — only what came through a receiver is replayed after a crash.
 */
function unsourced(tenantId: string, receivedAtMs: number): RequestSource {
  return { tenantId, mayClaimTenant: false, format: 'protobuf', receivedAtMs, body: new Uint8Array(0) };
}
