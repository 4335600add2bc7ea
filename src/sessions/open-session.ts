/** One session still being buffered: its spans, evals, byte count and what completion needs to know. */
import type { EvalResult, NormalizedSpan } from '../model/span.js';
import { tenantKey } from './keys.js';
import type { SessionLimits } from './limits.js';
import { retainedBytes } from './memory.js';
import type { GenAiTable } from './span-compact.js';
import { PackedSpans } from './span-pack.js';

/** A buffered session. Mutable, owned by the SessionBuffer. */
export class OpenSession {
  readonly tenantId: string;
  readonly sessionId: string;
  /** The buffer's map key of the session (tenant + session id), built once. */
  readonly key: string;
  readonly explicitSession: boolean;
  readonly limits: SessionLimits;
  readonly firstSeenMs: number;
  lastArrivalMs: number;
  bytes = 0;
  /** The spans, as columns until the session is decided (span-pack.ts). */
  private readonly packed: PackedSpans;
  /** Evals routed to this session out of band (API, evaluator spans of other traces). */
  readonly evals: EvalResult[] = [];
  readonly traceIds = new Set<string>();
  /** Log records (requests) that carried this session's spans, oldest first; empty without the log. */
  readonly requestLsns: number[] = [];
  /** The session was decided before (and forgotten by the decision cache): spans it counted then are not counted again. */
  countedBefore = false;
  /** Traces whose root span (no parent) has arrived ended. */
  private readonly rootedTraces = new Set<string>();
  /**
   * Span ids seen, per trace id: the duplicate check without building a trace/span key string per span. `id` is the
   * trace id string every span of the trace then holds (the first span's): one string per trace, not per span.
   */
  private readonly seen = new Map<string, { id: string; spanIds: Set<string> }>();
  private lowLsn = Number.MAX_SAFE_INTEGER;

  constructor(p: { tenantId: string; sessionId: string; explicitSession: boolean; limits: SessionLimits; nowMs: number; genai?: GenAiTable }) {
    this.tenantId = p.tenantId;
    this.sessionId = p.sessionId;
    this.key = tenantKey(p.tenantId, p.sessionId);
    this.explicitSession = p.explicitSession;
    this.limits = p.limits;
    this.firstSeenMs = p.nowMs;
    this.lastArrivalMs = p.nowMs;
    this.packed = new PackedSpans(p.tenantId, p.sessionId, p.genai);
  }

  /** Spans held. */
  get spanCount(): number {
    return this.packed.length;
  }

  /** The spans as objects, in arrival order (built again from the columns: call once, when the session leaves the buffer). */
  spans(): NormalizedSpan[] {
    return this.packed.all();
  }

  /**
   * Adds a span; returns its charged bytes, or 0 when it is a duplicate (same trace + span id). The span is held as
   * columns (the object is not kept) with the session's strings for its trace id and session id (equal values, one
   * copy per trace and per session).
   */
  add(span: NormalizedSpan, nowMs: number): number {
    const trace = this.seen.get(span.traceId);
    if (trace === undefined) {
      this.seen.set(span.traceId, { id: span.traceId, spanIds: new Set([span.spanId]) });
      this.traceIds.add(span.traceId);
    } else {
      if (trace.spanIds.has(span.spanId)) return 0;
      trace.spanIds.add(span.spanId);
      span.traceId = trace.id;
    }
    this.packed.push(span);
    const bytes = retainedBytes(span);
    if (span.parentSpanId === '' && span.endTimeUnixNano >= span.startTimeUnixNano && span.endTimeUnixNano > 0n) this.rootedTraces.add(span.traceId);
    this.bytes += bytes;
    this.lastArrivalMs = Math.max(this.lastArrivalMs, nowMs);
    return bytes;
  }

  /** Notes the log record the session's latest span came in. */
  addLsn(lsn: number): void {
    if (this.requestLsns.at(-1) !== lsn) this.requestLsns.push(lsn);
    if (lsn < this.lowLsn) this.lowLsn = lsn;
  }

  /** The oldest log record the session needs (MAX_SAFE_INTEGER when none). */
  get minLsn(): number {
    return this.lowLsn;
  }

  /** True when every trace of the session has its root span, ended (a trace without one is still running). */
  rootsEnded(): boolean {
    for (const t of this.traceIds) if (!this.rootedTraces.has(t)) return false;
    return this.traceIds.size > 0;
  }

  /** The completion trigger due at `nowMs`, or null while the session should wait. */
  dueTrigger(nowMs: number): 'idle' | 'max_age' | 'max_spans' | 'max_bytes' | null {
    if (this.packed.length >= this.limits.maxSpansPerSession) return 'max_spans';
    if (this.bytes >= this.limits.maxBytesPerSession) return 'max_bytes';
    if (nowMs - this.firstSeenMs >= this.limits.maxSessionAgeMs) return 'max_age';
    if (nowMs - this.lastArrivalMs >= this.limits.idleTimeoutMs && this.rootsEnded()) return 'idle';
    return null;
  }
}
