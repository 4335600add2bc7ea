/**
 * The session buffer: the SpanSink the receivers call, a thin facade over the jobs of the sessions stage —
 * admission (room and refusals), grouping (which session each span joins), the completion sweep (idle, age, memory),
 * deciding, late data for decided sessions (with decided-update.ts) and eval routing. Every arrival is logged,
 * placed in the same tick and answered once durable (logPlaceAwait, as for log records and metric points).
 */
import { Registry } from 'prom-client';
import type { SessionsConfig } from '../config/sessions.js';
import type { EvalResult, NormalizedSpan } from '../model/span.js';
import { logPlaceAwait, NoopJournal, type Journal } from '../durability/journal.js';
import { PinnedReads } from '../durability/pinned-reads.js';
import type { Logger } from '../log.js';
import { ok, type Outcome } from '../model/outcome.js';
import type { RequestSource, SpanSink } from '../model/sinks.js';
import type { DecisionCache } from '../sampling/decision-cache.js';
import type { DecisionEngine } from '../sampling/engine.js';
import type { SessionStore } from '../model/session-store.js';
import { Admission } from './admission.js';
import { CompletionSweep } from './completion-sweep.js';
import { CountedSpans } from './counted-spans.js';
import { Decider } from './deciding.js';
import { EvalRouter } from './eval-routing.js';
import { arrivalOf, SessionGroups } from './grouping.js';
import { LateData } from './late-data.js';
import { retainedBytes, retainedBytesOfRequest } from './memory.js';
import { SessionMetrics } from './metrics.js';
import { PendingWrites } from './pending-writes.js';
import { SpanDetails, type ReadDetail } from './span-detail.js';
import type { DecisionRecord, SpanReadBack } from './types.js';

export type { DecisionRecord, SpanReadBack } from './types.js';
export { PRESSURE_SHARE_PER_SWEEP } from './completion-sweep.js';

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
  /** Reads one span's attributes, events and links back from its logged request: with it (and the log on), spans are held lean until kept. */
  readDetail?: ReadDetail;
}

/** Counts for health and tests. */
export interface SessionBufferStats {
  openSessions: number;
  bufferedSpans: number;
  /** Accounted bytes of open sessions plus writes held for retry. */
  bufferedBytes: number;
  pendingWrites: number;
}

/** Groups spans into sessions and decides them; the SpanSink the receivers call. */
export class SessionBuffer implements SpanSink {
  private readonly now: () => number;
  private readonly store: SessionStore;
  private readonly cache: DecisionCache;
  private readonly log: Logger;
  private readonly journal: Journal;
  private readonly metrics: SessionMetrics;
  private readonly pending: PendingWrites;
  private readonly admission: Admission;
  private readonly groups: SessionGroups;
  private readonly late: LateData;
  /** Read-backs in flight (upgrades, kept spans held lean), each pinning the log record it needs. */
  private readonly reads: PinnedReads;
  private readonly decider: Decider;
  private readonly evals: EvalRouter;
  private readonly completion: CompletionSweep;
  private readonly details: SpanDetails;

  constructor(params: SessionBufferParams) {
    const { config, engine, cache, store, log } = params;
    const registry = params.registry ?? new Registry();
    const now = (this.now = params.now ?? Date.now);
    this.store = store;
    this.cache = cache;
    this.log = log;
    const journal = (this.journal = params.journal ?? new NoopJournal());
    // Built in the order they use each other: nothing below reaches a part built after it.
    const metrics = (this.metrics = new SessionMetrics({
      registry,
      state: () => ({ openSessions: this.groups.size, bufferedBytes: this.groups.bytes + this.pending.bytes, bufferedSpans: this.groups.spans }),
    }));
    metrics.limitBytes.set(config.maxBufferBytes);
    metrics.softLimitBytes.set(config.maxBufferBytes * config.softLimitRatio);
    const pending = (this.pending = new PendingWrites({ store, onRefused: (kind) => metrics.storeRefusals.inc({ kind }) }));
    // What decided sessions counted, so a re-delivery after the decision is counted once.
    const counted = new CountedSpans({ maxBytes: config.countedSpansMaxBytes, registry });
    const reads = (this.reads = new PinnedReads());
    const details = (this.details = new SpanDetails({ journal, ...(params.readDetail ? { readDetail: params.readDetail } : {}), keys: engine.attributeKeys, pending, reads, metrics, log }));
    const late = (this.late = new LateData({ cache, engine, counted, metrics, journal, pending, details, reads, readSpans: params.readSpans ?? (() => Promise.resolve([])), log }));
    const groups = (this.groups = new SessionGroups({ config, cache, counted, metrics, late, details, now }));
    this.admission = new Admission({ config, store, metrics, heldBytes: () => groups.bytes + pending.bytes });
    const decider = (this.decider = new Decider({ engine, cache, groups, counted, metrics, journal, pending, details, log, now }));
    this.evals = new EvalRouter({ groups, cache, pending, metrics });
    this.completion = new CompletionSweep({ config, groups, decider, pending, now });
  }

  /** Starts the periodic sweep (one unref'ed interval for all sessions). */
  start(): void {
    this.completion.start();
  }

  /** The keys spans keep while held lean, or null when they are held whole (SpanSink.leanKeys). */
  leanKeys(): ReadonlySet<string> | null {
    return this.details.heldKeys;
  }

  /** Cheap admission check before decoding a request of `wireBytes`. */
  admit(tenantId: string, wireBytes: number): Outcome<void> {
    return this.admission.room(tenantId, retainedBytesOfRequest(wireBytes));
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
    const room = this.admission.room(spans[0]!.tenantId, incoming);
    if (room.status !== 'ok') return Promise.resolve(room);
    const record = { type: 'request' as const, ...(source ?? unsourced(spans[0]!.tenantId, this.now())) };
    // Only a request of its own (not the empty one logged for spans handed in without it) can give spans back.
    return logPlaceAwait(this.journal, record, (lsn) => this.acceptNow(spans, this.now(), lsn, source === undefined ? null : lsn), () => this.admission.refusedByLog());
  }

  /** Routes evals posted out of band to their session (open or decided) and queues them for the store. */
  acceptEvals(tenantId: string, evals: EvalResult[]): Promise<Outcome<void>> {
    const room = this.admission.roomForEvals();
    if (room.status !== 'ok') return Promise.resolve(room);
    return logPlaceAwait(
      this.journal,
      { type: 'eval', tenantId, evals },
      (lsn) => {
        this.evals.route(tenantId, evals, lsn, 'api');
        return ok();
      },
      () => this.admission.refusedByLog(),
    );
  }

  /** Evals found in a log record (logged at `lsn` as a logs request, live or replayed): routed like posted evals. */
  acceptLoggedEvals(lsn: number, tenantId: string, evals: EvalResult[]): void {
    this.evals.route(tenantId, evals, lsn, 'log');
  }

  // ---- recovery (src/durability/durability.ts drives these before the receivers start) ----

  /** Starts recovery: decisions logged before the crash (versions ≥ 2) are reused, never re-made. */
  beginReplay(recorded: readonly { lsn: number; record: DecisionRecord }[]): void {
    this.late.beginReplay(recorded);
  }

  /**
   * A logged request: its spans go where they went before the crash, with the arrival time they had. Decisions come
   * from the log at the place they were made, never from the limits or memory relief (endReplay relieves memory once).
   */
  replayRequest(lsn: number, spans: NormalizedSpan[], receivedAtMs: number): void {
    if (spans.length === 0) return;
    this.evals.placeWithSpans(spans, this.groups.placeSpans(spans, arrivalOf(lsn, receivedAtMs, lsn)), lsn);
  }

  /** A logged eval post. */
  replayEvals(lsn: number, tenantId: string, evals: EvalResult[]): void {
    this.evals.route(tenantId, evals, lsn, 'api');
  }

  /** A logged decision: see Decider.replay. */
  replayDecision(lsn: number, r: DecisionRecord): void {
    this.decider.replay(lsn, r);
  }

  /** Ends recovery once upgrades started during it have read their spans back. */
  async endReplay(): Promise<void> {
    this.late.endReplay();
    await this.settled();
    this.completion.relieveMemory();
  }

  /** Resolves when every read-back in flight (upgrades, kept sessions held lean) has been handed to the store. */
  settled(): Promise<void> {
    return this.reads.settled();
  }

  /** The oldest log record still needed by open sessions, held writes and upgrades in flight (MAX_SAFE_INTEGER when none). */
  oldestPin(): number {
    let min = Math.min(this.pending.oldestPin(), this.reads.oldestPin());
    for (const s of this.groups.sessions()) if (s.minLsn < min) min = s.minLsn;
    return min;
  }

  /**
   * Another instance kept this session (src/shared/): a part dropped here becomes kept (`upgrade:shared`, that
   * instance's weight) and its spans are read back from the log. 'held' when the session is open here or unknown
   * (the engine then follows at decision time); 'kept' when already kept or dropped by an explicit drop rule.
   */
  followKept(tenantId: string, sessionId: string, sampleWeight: number): 'upgraded' | 'kept' | 'held' {
    const e = this.cache.get(tenantId, sessionId);
    if (e === undefined || this.groups.get(tenantId, sessionId) !== undefined) return 'held';
    if (e.decision.kept || e.decision.reasons.some((r) => r.startsWith('drop:'))) return 'kept';
    const reasons = [...e.decision.reasons, 'upgrade:shared'];
    this.groups.applyLate(tenantId, sessionId, [], [], [], { kept: true, reasons, sampleWeight, trigger: 'upgrade', decidedAtMs: this.now() });
    return 'upgraded';
  }

  /**
   * The process is at its memory limit (true) or back under it (false). While it is, each sweep decides the oldest
   * open sessions holding up to PRESSURE_SHARE_PER_SWEEP of the open bytes (at least one session) early, so their
   * spans go to the store and leave the buffer; the share bounds the work of one sweep.
   */
  setMemoryPressure(over: boolean): void {
    this.completion.setMemoryPressure(over);
  }

  /** Decides what is due: retries held writes, then idle / aged sessions, then memory pressure. */
  sweep(): void {
    this.completion.sweep();
  }

  /** Decides every open session (trigger 'shutdown'), then flushes the store and retries held writes. */
  async shutdown(): Promise<void> {
    this.admission.drain();
    this.completion.stop();
    for (const s of [...this.groups.sessions()]) this.decider.decide(s, 'shutdown');
    // Kept sessions held lean hand their span rows over once read back from the log.
    await this.settled();
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
    return { openSessions: this.groups.size, bufferedSpans: this.groups.spans, bufferedBytes: this.groups.bytes + this.pending.bytes, pendingWrites: this.pending.size };
  }

  /** Routes the spans of one request (logged at `lsn`) arriving at `nowMs`; room was checked by the caller. */
  private acceptNow(spans: NormalizedSpan[], nowMs: number, lsn: number, detailLsn: number | null): Outcome<void> {
    const arrival = arrivalOf(lsn, nowMs, detailLsn);
    const foreignEvals = this.groups.placeSpans(spans, arrival);
    for (const s of arrival.touched) {
      // Only the size limits can be due right after an arrival (idle and age are the sweep's).
      const trigger = s.dueTrigger(nowMs);
      if ((trigger === 'max_spans' || trigger === 'max_bytes') && this.groups.holds(s)) this.decider.decide(s, trigger);
    }
    this.evals.placeWithSpans(spans, foreignEvals, lsn);
    this.completion.relieveMemory();
    return ok();
  }
}

/**
 * The request of spans handed in without one (tests and tools call `accept(spans)`): logged as an empty request,
 * which replays as no spans — only what came through a receiver is replayed after a crash.
 */
function unsourced(tenantId: string, receivedAtMs: number): RequestSource {
  return { tenantId, mayClaimTenant: false, format: 'protobuf', receivedAtMs, body: new Uint8Array(0) };
}
