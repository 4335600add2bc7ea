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
import type { PinnedReads } from '../durability/pinned-reads.js';
import { EMPTY_ATTRIBUTES } from './span-compact.js';

/** Reads one span's detail from its own bytes in its logged request (the receivers' decoder, handed in by the root). */
export type ReadDetail = (record: Pick<RequestRecord, 'format' | 'receivedAtMs'>, spanBytes: Uint8Array) => Outcome<SpanDetail>;

const NO_EVENTS: NormalizedSpan['events'] = [];
const NO_LINKS: NormalizedSpan['links'] = [];

export interface SpanDetailParams {
  journal: Journal;
  /** Absent: spans are held whole (tests and tools that build the buffer without the root). */
  readDetail?: ReadDetail;
  /** Attribute keys decisions read (rules, detectors): kept on the lean span. */
  keys: ReadonlySet<string>;
  pending: PendingWrites;
  /** Read-backs in flight, shared with late data (the buffer's pins). */
  reads: PinnedReads;
  metrics: SessionMetrics;
  log: Logger;
}

/** Makes buffered spans lean and reads a kept session's spans back whole. */
export class SpanDetails {
  /** Spans to read back, by the LSN of their request, asked for in this tick (one sweep's kept sessions): read together. */
  private readonly batch = new Map<number, { span: NormalizedSpan; done: (detail: SpanDetail | null) => void }[]>();
  private readonly on: boolean;

  constructor(private readonly p: SpanDetailParams) {
    this.on = p.journal.keepsRecords && p.journal.readBodyRanges !== undefined && p.readDetail !== undefined;
  }

  /** The attribute keys a lean span keeps; null when spans are held whole (no log to read them back from, or lean spans off). */
  get heldKeys(): ReadonlySet<string> | null {
    return this.on ? this.p.keys : null;
  }

  /** Holds a span lean when its request was logged at `lsn` and its bytes can be found again (protobuf). */
  slim(span: NormalizedSpan, lsn: number | null): void {
    if (!this.on || lsn === null || span.wireOffset === undefined || span.detailAt !== undefined) return;
    let kept: Attributes | null = null;
    for (const key of this.p.keys) {
      const v = span.attributes[key];
      if (v === undefined) continue;
      kept ??= {};
      kept[key] = v;
    }
    span.attributes = kept ?? EMPTY_ATTRIBUTES;
    span.events = NO_EVENTS;
    span.links = NO_LINKS;
    span.detailAt = lsn;
  }

  /** True when some span of the list is held lean. */
  private holdsLean(spans: readonly NormalizedSpan[]): boolean {
    if (!this.on) return false;
    for (const s of spans) if (s.detailAt !== undefined) return true;
    return false;
  }

  /**
   * Queues a session write. A kept write whose spans are held lean goes without its span rows; they are read back
   * whole and queued as the same version's second part, pinning the oldest record they need until then.
   */
  write(w: SessionWrite): void {
    if (!w.storeSpans || !this.holdsLean(w.spans)) {
      this.p.pending.write(w);
      return;
    }
    this.p.pending.write({ ...w, storeSpans: false });
    const { tenantId, sessionId } = w.summary;
    let pinLsn = w.pinLsn ?? Number.MAX_SAFE_INTEGER;
    for (const s of w.spans) if (s.detailAt !== undefined && s.detailAt < pinLsn) pinLsn = s.detailAt;
    const work = this.whole(w.spans)
      .then((spans) => {
        if (spans.length === 0) return;
        this.p.pending.write({ ...w, spans, storeSpans: true, countUsage: false, part: 'detail', pinLsn });
      })
      .catch((err: unknown) => this.p.log.error({ err, tenantId, sessionId }, 'could not read a kept session’s spans back from the log'));
    this.p.reads.track(work, pinLsn);
  }

  /** The spans with their detail read back (whole spans as they are); a span whose bytes are gone is left out, counted. */
  private async whole(spans: readonly NormalizedSpan[]): Promise<NormalizedSpan[]> {
    const details = await Promise.all(spans.map((span) => (span.detailAt === undefined ? null : this.detailOf(span, span.detailAt))));
    const out: NormalizedSpan[] = [];
    let lost = 0;
    spans.forEach((span, i) => {
      if (span.detailAt === undefined) {
        out.push(span);
        return;
      }
      const detail = details[i];
      if (detail === null || detail === undefined) {
        lost += 1;
        return;
      }
      // Filled in place: a copy by rest and spread gave every kept span a V8 hidden class of its own (row building
      // then read each field megamorphically). The buffer no longer holds the span; its first write read only usage.
      span.attributes = detail.attributes;
      span.events = detail.events;
      span.links = detail.links;
      span.detailAt = undefined;
      out.push(span);
    });
    if (lost > 0) {
      this.p.metrics.detailLost.inc(lost);
      this.p.log.error({ lost, tenantId: spans[0]?.tenantId, sessionId: spans[0]?.sessionId }, 'span detail not found in the log: those span rows are not written');
    }
    return out;
  }

  /** One span's detail, read with the other spans of its request asked for in the same tick. */
  private detailOf(span: NormalizedSpan, lsn: number): Promise<SpanDetail | null> {
    return new Promise((done) => {
      if (this.batch.size === 0) setImmediate(() => this.readBatch());
      const list = this.batch.get(lsn);
      if (list === undefined) this.batch.set(lsn, [{ span, done }]);
      else list.push({ span, done });
    });
  }

  /** Reads each request's waiting spans: only their bytes, ranges close together in one read. */
  private readBatch(): void {
    const batch = new Map(this.batch);
    this.batch.clear();
    for (const [lsn, waiting] of batch) {
      const ranges = waiting.map((w) => ({ offset: w.span.wireOffset ?? -1, length: w.span.wireBytes }));
      this.p.journal.readBodyRanges!(lsn, ranges).then(
        (got) => {
          waiting.forEach((w, i) => {
            const bytes = got?.parts[i];
            if (got === null || bytes === null || bytes === undefined || got.record.type !== 'request') return w.done(null);
            const detail = this.p.readDetail!(got.record, bytes);
            w.done(detail.status === 'ok' ? detail.value : null);
          });
        },
        (err: unknown) => {
          this.p.log.error({ err, lsn }, 'could not read span detail back from the log');
          for (const w of waiting) w.done(null);
        },
      );
    }
  }
}
