/**
 * Spans held lean until their session is kept. With the write-ahead log on, a span buffered from a logged protobuf
 * request gives up its attributes (all but the keys decisions read), events and links: the logged request is their
 * home. Only a kept session needs them (its span rows); they are read back from the log, each span from its own
 * bytes, and written as the session's span rows in a second write of the same version (`part: 'detail'`, usage
 * not counted again). A dropped session never reads them back.
 */
import type { Journal } from '../durability/journal.js';
import type { RequestRecord } from '../durability/replay.js';
import type { Logger } from '../log.js';
import type { Outcome } from '../model/outcome.js';
import type { SessionWrite } from '../model/session.js';
import type { NormalizedSpan } from '../model/span.js';
import type { SpanDetail } from '../model/span-detail.js';
import type { Attributes } from '../model/otlp-values.js';
import type { SessionMetrics } from './metrics.js';
import type { PendingWrites } from './pending-writes.js';

/** Reads one span's detail from its logged request (the receivers' decoder, handed in by the root). */
export type ReadDetail = (record: RequestRecord, span: NormalizedSpan) => Outcome<SpanDetail>;

/** Logged requests kept after a read-back for the other kept sessions of the same request (their bodies: about 0.5 MB each). */
const RECENT_REQUESTS = 16;

const NO_EVENTS: NormalizedSpan['events'] = [];
const NO_LINKS: NormalizedSpan['links'] = [];

export interface SpanDetailParams {
  journal: Journal;
  /** Absent: spans are held whole (tests and tools that build the buffer without the root). */
  readDetail?: ReadDetail;
  /** Attribute keys decisions read (rules, detectors): kept on the lean span. */
  keys: ReadonlySet<string>;
  pending: PendingWrites;
  metrics: SessionMetrics;
  log: Logger;
}

/** Makes buffered spans lean and reads a kept session's spans back whole. */
export class SpanDetails {
  /** Read-backs in flight, each with the oldest log record it needs. */
  private readonly inFlight = new Map<Promise<void>, number>();
  /**
   * Logged requests read back lately, by LSN: the sessions of one request are decided together (same arrival, same
   * idle deadline), so the few of them kept share one read of it. A handful of requests, oldest out first.
   */
  private readonly recent = new Map<number, Promise<RequestRecord | undefined>>();
  /** Requests asked for in this tick, read together on the next. */
  private readonly batch = new Map<number, { resolve: (r: RequestRecord | undefined) => void; reject: (err: unknown) => void }>();
  private readonly on: boolean;

  constructor(private readonly p: SpanDetailParams) {
    this.on = p.journal.keepsRecords && p.readDetail !== undefined;
  }

  /** Holds a span lean when its request was logged at `lsn` and its bytes can be found again (protobuf). */
  slim(span: NormalizedSpan, lsn: number | null): void {
    if (!this.on || lsn === null || span.wireOffset === undefined || span.detailAt !== undefined) return;
    const kept: Attributes = {};
    let any = false;
    for (const key of this.p.keys) {
      const v = span.attributes[key];
      if (v === undefined) continue;
      kept[key] = v;
      any = true;
    }
    span.attributes = any ? kept : {};
    span.events = NO_EVENTS;
    span.links = NO_LINKS;
    span.detailAt = lsn;
  }

  /** True when some span of the list is held lean. */
  holdsLean(spans: readonly NormalizedSpan[]): boolean {
    if (!this.on) return false;
    for (const s of spans) if (s.detailAt !== undefined) return true;
    return false;
  }

  /**
   * A kept write whose spans are held lean: the write was queued without its span rows; read them back whole and
   * queue them as the same version's second part, pinning the oldest record they need until then.
   */
  writeSpansOf(w: SessionWrite): void {
    const { tenantId, sessionId } = w.summary;
    let pinLsn = w.pinLsn ?? Number.MAX_SAFE_INTEGER;
    for (const s of w.spans) if (s.detailAt !== undefined && s.detailAt < pinLsn) pinLsn = s.detailAt;
    const done = this.whole(w.spans)
      .then((spans) => {
        if (spans.length === 0) return;
        this.p.pending.write({ ...w, spans, storeSpans: true, countUsage: false, part: 'detail', pinLsn });
      })
      .catch((err: unknown) => this.p.log.error({ err, tenantId, sessionId }, 'could not read a kept session’s spans back from the log'))
      .finally(() => this.inFlight.delete(done));
    this.inFlight.set(done, pinLsn);
  }

  /** Resolves when every read-back in flight has been handed to the store. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.keys()]);
  }

  /** The oldest log record a read-back in flight needs (MAX_SAFE_INTEGER when none). */
  oldestPin(): number {
    let min = Number.MAX_SAFE_INTEGER;
    for (const pin of this.inFlight.values()) if (pin < min) min = pin;
    return min;
  }

  /**
   * The logged request at `lsn` (undefined when the log no longer holds it), read once for the sessions decided
   * together; the requests asked for in one tick (one sweep's kept sessions) are read in one pass over the log.
   */
  private request(lsn: number): Promise<RequestRecord | undefined> {
    const have = this.recent.get(lsn);
    if (have !== undefined) return have;
    const reading = new Promise<RequestRecord | undefined>((resolve, reject) => {
      if (this.batch.size === 0) setImmediate(() => this.readBatch());
      this.batch.set(lsn, { resolve, reject });
    });
    this.recent.set(lsn, reading);
    if (this.recent.size > RECENT_REQUESTS) this.recent.delete(this.recent.keys().next().value!);
    return reading;
  }

  private readBatch(): void {
    const batch = new Map(this.batch);
    this.batch.clear();
    this.p.journal.readBack([...batch.keys()]).then(
      (got) => {
        const byLsn = new Map(got.map((g) => [g.lsn, g.record]));
        for (const [lsn, waiter] of batch) {
          const r = byLsn.get(lsn);
          waiter.resolve(r !== undefined && r.type === 'request' ? r : undefined);
        }
      },
      (err: unknown) => {
        for (const [lsn, waiter] of batch) {
          this.recent.delete(lsn);
          waiter.reject(err);
        }
      },
    );
  }

  /** The spans with their detail read back (whole spans as they are); a span whose record is gone is left out, counted. */
  private async whole(spans: readonly NormalizedSpan[]): Promise<NormalizedSpan[]> {
    const lsns = [...new Set(spans.flatMap((s) => (s.detailAt === undefined ? [] : [s.detailAt])))];
    const records = new Map<number, RequestRecord>();
    const read = await Promise.all(lsns.map((lsn) => this.request(lsn)));
    lsns.forEach((lsn, i) => {
      const record = read[i];
      if (record !== undefined) records.set(lsn, record);
    });
    const out: NormalizedSpan[] = [];
    let lost = 0;
    for (const span of spans) {
      if (span.detailAt === undefined) {
        out.push(span);
        continue;
      }
      const record = records.get(span.detailAt);
      const detail = record === undefined ? null : this.p.readDetail!(record, span);
      if (detail === null || detail.status !== 'ok') {
        lost += 1;
        continue;
      }
      const { detailAt: _held, ...rest } = span;
      out.push({ ...rest, ...detail.value });
    }
    if (lost > 0) {
      this.p.metrics.detailLost.inc(lost);
      this.p.log.error({ lost, tenantId: spans[0]?.tenantId }, 'span detail not found in the log: those span rows are not written');
    }
    return out;
  }
}
