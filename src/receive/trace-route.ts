/** The traces signal on the shared Export path: RequestDecoder for decoding and normalizing, the session buffer as sink. */
import type { NormalizedSpan } from '../model/span.js';
import { ok, type Outcome } from '../model/outcome.js';
import type { OtlpSpan } from '../otlp/types.js';
import type { RequestSource, SpanSink } from '../model/sinks.js';
import type { TenantAuth } from './auth.js';
import type { RequestDecoder } from './request-decoder.js';
import type { DecodedItems, ReadRequest, RequestReading, SignalRoute } from './signal-route.js';
import type { DecodePool } from './decode-pool.js';
import type { AttrFilter } from '../otlp/proto-attributes.js';

/**
 * How a trace request is read: decoded (protobuf spans through `filter` when given: the sink holds spans lean,
 * src/receive/span-attr-filter.ts), then normalized and priced per resource tenant. The same on the main thread
 * (TraceRoute) and in a decode worker (decode-worker.ts), each through readInline.
 */
export class TraceReading implements RequestReading<OtlpSpan, NormalizedSpan> {
  constructor(private readonly p: { decoder: RequestDecoder; filter?: AttrFilter | undefined }) {}

  decode(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number): Outcome<DecodedItems<OtlpSpan>> {
    const d = this.p.decoder.decode(body, format, nowMs, this.p.filter);
    if (d.status !== 'ok') return d;
    const out: DecodedItems<OtlpSpan> = { items: d.value.spans, rejected: d.value.rejected };
    if (d.value.truncatedStrings !== undefined) out.truncatedStrings = d.value.truncatedStrings;
    if (d.value.unknownFields !== undefined) out.unknownFields = d.value.unknownFields;
    return ok(out);
  }

  resolve(decoded: DecodedItems<OtlpSpan>, principal: TenantAuth): Outcome<NormalizedSpan[]> {
    return this.p.decoder.normalize({ spans: decoded.items, rejected: decoded.rejected }, principal);
  }
}

/** Spans: read (TraceReading, or by the decode workers), handed to the session buffer. */
export class TraceRoute implements SignalRoute<OtlpSpan, NormalizedSpan> {
  readonly signal = 'traces';
  readonly rejectedJsonKey = 'rejectedSpans';
  private readonly reading: TraceReading;

  /** `pool`: decode workers that read protobuf and JSON requests off the main thread (none: read here). */
  constructor(private readonly p: { decoder: RequestDecoder; sink: SpanSink; filter?: AttrFilter | undefined; pool?: DecodePool | undefined }) {
    this.reading = new TraceReading({ decoder: p.decoder, filter: p.filter });
  }

  readOffThread(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number, principal: TenantAuth): Promise<Outcome<ReadRequest<NormalizedSpan>>> | undefined {
    const pool = this.p.pool;
    if (pool === undefined) return undefined;
    return pool.read(body, format, nowMs, principal).then((read) => {
      if (read.status === 'ok' && read.value.resolved.status === 'ok') this.p.decoder.countWorkerSpans(read.value.resolved.value);
      return read;
    });
  }

  decode(body: Uint8Array, format: 'protobuf' | 'json', nowMs: number): Outcome<DecodedItems<OtlpSpan>> {
    return this.reading.decode(body, format, nowMs);
  }

  resolve(decoded: DecodedItems<OtlpSpan>, principal: TenantAuth): Outcome<NormalizedSpan[]> {
    return this.reading.resolve(decoded, principal);
  }

  admit(tenantId: string, wireBytes: number): Outcome<void> {
    return this.p.sink.admit(tenantId, wireBytes);
  }

  accept(items: NormalizedSpan[], source: RequestSource): Promise<Outcome<void>> {
    return this.p.sink.accept(items, source);
  }
}
