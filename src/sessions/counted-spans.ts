/**
 * What decided sessions counted: the identity of every span whose usage went into a decided session's rows
 * (`usage_hourly`, the session row's tokens and SpanCount), so a client's re-delivery of it — after the decision,
 * or after a restart — is acknowledged and counted once. An open session drops duplicates by itself
 * (OpenSession.add); this memory takes over when the session is decided.
 *
 * Span identities, not request digests: a retry may come re-batched (an OTel Collector or SDK between the client and
 * us splits and merges requests), and the open session's rule is per span, so the decided one is too.
 * An identity is a 53-bit hash of trace id + span id (8 bytes, exact as a double); a new span is taken for a
 * re-delivery by mistake with probability n / 2^53 for a session of n counted spans (≈ 10^-12 at n = 10,000).
 * Bounded by `maxBytes` (accounted as 8 bytes per span plus SESSION_OVERHEAD_BYTES per session, 0.95–0.97 of the
 * measured heap for sessions of 16 and 200 spans); past it the
 * least recently counted sessions are forgotten whole, counted in `agenttail_sessions_counted_evicted_sessions_total`.
 * With the write-ahead log, every decision record carries the identities it counted (`counted`), and recovery
 * restores them where the record stands in the log, so a restart rebuilds the same memory (docs/durability.md).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { tenantKey } from './keys.js';

/** Accounted bytes of one remembered session besides its identities (map entry, key string, typed array and its buffer). */
export const SESSION_OVERHEAD_BYTES = 300;
/** Accounted bytes per remembered span: one double. */
export const SPAN_ID_BYTES = 8;

const LOW_BITS = 2 ** 21;

/** murmur3's 32-bit finalizer: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The 53-bit identity of a span (trace id + span id), the unit this memory counts: two 32-bit multiply-rotate lanes
 * over the ids' UTF-16 units, without building or encoding a key string (one identity per counted span, on the
 * decision path). The span id's length is mixed in between, so ("ab", "c") and ("a", "bc") differ.
 */
export function spanIdentity(traceId: string, spanId: string): number {
  traceLanes(traceId, LANES);
  return withSpanId(LANES[0]!, LANES[1]!, spanId);
}

/** Scratch lanes (the trace id's part of an identity). */
const LANES = new Int32Array(2);

/** The two lanes after the trace id, written to `out` (the part spans of one trace share). */
function traceLanes(traceId: string, out: Int32Array): void {
  let h1 = 0x2f1d5a3b;
  let h2 = 0x6c0e9b47;
  for (let i = 0; i < traceId.length; i++) {
    const c = traceId.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x9e3779b1);
    h1 = (h1 << 13) | (h1 >>> 19);
    h2 = Math.imul(h2 ^ c, 0x85ebca77);
    h2 = (h2 << 17) | (h2 >>> 15);
  }
  out[0] = h1;
  out[1] = h2;
}

/** The identity from a trace id's lanes and the span id. */
function withSpanId(h1: number, h2: number, spanId: string): number {
  h1 = Math.imul(h1 ^ (0x10000 + spanId.length), 0x9e3779b1);
  h2 = Math.imul(h2 ^ (0x10000 + spanId.length), 0x85ebca77);
  for (let i = 0; i < spanId.length; i++) {
    const c = spanId.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x9e3779b1);
    h1 = (h1 << 13) | (h1 >>> 19);
    h2 = Math.imul(h2 ^ c, 0x85ebca77);
    h2 = (h2 << 17) | (h2 >>> 15);
  }
  return fmix32(h1) * LOW_BITS + (fmix32(h2) >>> 11);
}

/** The identities, encoded for a log record (base64 of little-endian doubles). */
function encode(ids: Float64Array): string {
  return Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength).toString('base64');
}

function decode(text: string): Float64Array {
  const buf = Buffer.from(text, 'base64');
  const out = new Float64Array(Math.floor(buf.length / 8));
  for (let i = 0; i < out.length; i++) out[i] = buf.readDoubleLE(i * 8);
  return out;
}

/** Does the sorted list hold `id`? */
function holds(sorted: Float64Array, id: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === id) return true;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Parameters of CountedSpans. */
export interface CountedSpansParams {
  /** Accounted bytes past which the least recently counted sessions are forgotten. */
  maxBytes: number;
  registry: Registry;
}

/** Span identities counted per decided session (tenant + session id), bounded by bytes, least recently counted out first. */
export class CountedSpans {
  /** Sorted, unique identities per session key; Map order is least recently counted first. */
  private readonly sessions = new Map<string, Float64Array>();
  private bytes = 0;
  private spans = 0;
  private readonly maxBytes: number;
  private readonly evicted: Counter;
  private readonly redelivered: Counter;

  constructor(p: CountedSpansParams) {
    this.maxBytes = p.maxBytes;
    const registers = [p.registry];
    const state = (): { bytes: number; spans: number } => ({ bytes: this.bytes, spans: this.spans });
    new Gauge({ name: 'agenttail_sessions_counted_spans', help: 'Span identities remembered for decided sessions (re-deliveries of them are counted once).', registers, collect() { this.set(state().spans); } });
    new Gauge({ name: 'agenttail_sessions_counted_bytes', help: 'Accounted bytes of the counted-span memory (bound: sessions.countedSpansMaxBytes).', registers, collect() { this.set(state().bytes); } });
    this.evicted = new Counter({ name: 'agenttail_sessions_counted_evicted_sessions_total', help: 'Decided sessions whose counted spans were forgotten to stay under sessions.countedSpansMaxBytes (a re-delivery to them counts again).', registers });
    this.redelivered = new Counter({ name: 'agenttail_sessions_redelivered_spans_total', help: 'Spans of decided sessions delivered again: acknowledged, not counted again.', registers });
  }

  /** True (and counted as a re-delivery) when the session already counted this span. */
  has(tenantId: string, sessionId: string, traceId: string, spanId: string): boolean {
    const ids = this.sessions.get(tenantKey(tenantId, sessionId));
    if (ids === undefined || !holds(ids, spanIdentity(traceId, spanId))) return false;
    this.redelivered.inc();
    return true;
  }

  /** Whether anything is remembered for the session (a session re-opened after its decision was forgotten checks its spans). */
  knows(tenantId: string, sessionId: string): boolean {
    return this.sessions.has(tenantKey(tenantId, sessionId));
  }

  /** Remembers `spans` as counted in the session; returns their identities for the decision record ('' when none). */
  add(tenantId: string, sessionId: string, spans: readonly { traceId: string; spanId: string }[]): string {
    if (spans.length === 0) return '';
    const ids = new Float64Array(spans.length);
    // Spans of one trace come together and share the trace id's part: it is hashed once per run of a trace.
    let trace: string | null = null;
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i]!;
      if (s.traceId !== trace) {
        trace = s.traceId;
        traceLanes(trace, LANES);
      }
      ids[i] = withSpanId(LANES[0]!, LANES[1]!, s.spanId);
    }
    const encoded = encode(ids);
    this.merge(tenantKey(tenantId, sessionId), ids);
    return encoded;
  }

  /** Restores what a logged decision record says the session counted (recovery). */
  restore(tenantId: string, sessionId: string, encoded: string): void {
    const ids = decode(encoded);
    if (ids.length > 0) this.merge(tenantKey(tenantId, sessionId), ids);
  }

  /** Merges `ids` (its own array: it is sorted in place) into the session's sorted identities. */
  private merge(key: string, ids: Float64Array): void {
    const had = this.sessions.get(key);
    if (had !== undefined) {
      this.sessions.delete(key);
      this.account(-had.length, -1);
    }
    let all = ids;
    if (had !== undefined) {
      all = new Float64Array(had.length + ids.length);
      all.set(had);
      all.set(ids, had.length);
    }
    all.sort(); // numeric for a typed array, no comparator
    let n = 0;
    for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[n - 1]) all[n++] = all[i]!;
    // A copy of exactly the unique length, so no slack stays behind.
    const sorted = n === all.length ? all : all.slice(0, n);
    this.sessions.set(key, sorted);
    this.account(sorted.length, 1);
    for (const [k, old] of this.sessions) {
      if (this.bytes <= this.maxBytes || k === key) break;
      this.sessions.delete(k);
      this.account(-old.length, -1);
      this.evicted.inc();
    }
  }

  private account(spans: number, sessions: number): void {
    this.spans += spans;
    this.bytes += spans * SPAN_ID_BYTES + sessions * SESSION_OVERHEAD_BYTES;
  }
}
