/**
 * Reference decoder: protobufjs over a descriptor of the opentelemetry-proto v1 trace messages
 * (written here from the spec's field numbers), plus a converter to the decoder's OtlpSpan shape.
 * Tests decode the same bytes with this and with src/otlp/decode-protobuf.ts; bench/decode.ts races them.
 */
import protobuf from 'protobufjs';
import type Long from 'long';
import type { AttrValue, Attributes, OtlpEvent, OtlpLink, OtlpResource, OtlpScope, SpanKindNumber, StatusCodeNumber } from '../../src/model/otlp-values.js';
import type { OtlpSpan } from '../../src/otlp/types.js';

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const one = (type: string, id: number) => ({ type, id });

/** JSON descriptor of ExportTraceServiceRequest/Response and everything they contain. */
export const OTLP_TRACE_DESCRIPTOR = {
  nested: {
    ExportTraceServiceRequest: { fields: { resourceSpans: repeated('ResourceSpans', 1) } },
    ExportTraceServiceResponse: { fields: { partialSuccess: one('ExportTracePartialSuccess', 1) } },
    ExportTracePartialSuccess: { fields: { rejectedSpans: one('int64', 1), errorMessage: one('string', 2) } },
    ResourceSpans: { fields: { resource: one('Resource', 1), scopeSpans: repeated('ScopeSpans', 2), schemaUrl: one('string', 3) } },
    Resource: { fields: { attributes: repeated('KeyValue', 1), droppedAttributesCount: one('uint32', 2) } },
    ScopeSpans: { fields: { scope: one('InstrumentationScope', 1), spans: repeated('Span', 2), schemaUrl: one('string', 3) } },
    InstrumentationScope: {
      fields: { name: one('string', 1), version: one('string', 2), attributes: repeated('KeyValue', 3), droppedAttributesCount: one('uint32', 4) },
    },
    Span: {
      fields: {
        traceId: one('bytes', 1),
        spanId: one('bytes', 2),
        traceState: one('string', 3),
        parentSpanId: one('bytes', 4),
        flags: one('fixed32', 16),
        name: one('string', 5),
        kind: one('int32', 6),
        startTimeUnixNano: one('fixed64', 7),
        endTimeUnixNano: one('fixed64', 8),
        attributes: repeated('KeyValue', 9),
        droppedAttributesCount: one('uint32', 10),
        events: repeated('Event', 11),
        droppedEventsCount: one('uint32', 12),
        links: repeated('Link', 13),
        droppedLinksCount: one('uint32', 14),
        status: one('Status', 15),
      },
    },
    Event: {
      fields: { timeUnixNano: one('fixed64', 1), name: one('string', 2), attributes: repeated('KeyValue', 3), droppedAttributesCount: one('uint32', 4) },
    },
    Link: {
      fields: {
        traceId: one('bytes', 1),
        spanId: one('bytes', 2),
        traceState: one('string', 3),
        attributes: repeated('KeyValue', 4),
        droppedAttributesCount: one('uint32', 5),
        flags: one('fixed32', 6),
      },
    },
    Status: { fields: { message: one('string', 2), code: one('int32', 3) } },
    KeyValue: { fields: { key: one('string', 1), value: one('AnyValue', 2) } },
    AnyValue: {
      oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
      fields: {
        stringValue: one('string', 1),
        boolValue: one('bool', 2),
        intValue: one('int64', 3),
        doubleValue: one('double', 4),
        arrayValue: one('ArrayValue', 5),
        kvlistValue: one('KeyValueList', 6),
        bytesValue: one('bytes', 7),
      },
    },
    ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
    KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
  },
};

/** The protobufjs root built from OTLP_TRACE_DESCRIPTOR. */
export const otlpRoot = protobuf.Root.fromJSON(OTLP_TRACE_DESCRIPTOR);
/** protobufjs type for ExportTraceServiceRequest. */
export const ExportTraceServiceRequestType = otlpRoot.lookupType('ExportTraceServiceRequest');

type PbMsg = any;

/** Bytes as lowercase hex ('' for none). */
export function hex(b: Uint8Array | undefined): string {
  if (!b || b.length === 0) return '';
  // Native hex, as the production reader does, so the benchmark compares decoders and not hex loops.
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** A protobufjs uint64 / fixed64 as a bigint. */
export function u64(v: Long | number | undefined): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

function i64(v: Long | number): number | string {
  if (typeof v === 'number') return v;
  const n = BigInt.asIntN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0));
  const num = Number(n);
  return Number.isSafeInteger(num) ? num : n.toString();
}

/** A protobufjs AnyValue as the decoder's AttrValue. */
export function anyValue(v: PbMsg): AttrValue {
  if (!v || v.value === undefined) return null;
  switch (v.value as string) {
    case 'stringValue':
      return v.stringValue as string;
    case 'boolValue':
      return v.boolValue as boolean;
    case 'intValue':
      return i64(v.intValue);
    case 'doubleValue':
      return v.doubleValue as number;
    case 'arrayValue':
      return ((v.arrayValue?.values ?? []) as PbMsg[]).map(anyValue);
    case 'kvlistValue':
      return attrs(v.kvlistValue?.values);
    case 'bytesValue':
      return new Uint8Array(v.bytesValue as Uint8Array);
    default:
      return null;
  }
}

/** A protobufjs KeyValue list as the decoder's Attributes. */
export function attrs(list: PbMsg[] | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of list ?? []) out[kv.key as string] = anyValue(kv.value);
  return out;
}

/** Decodes with protobufjs and converts to OtlpSpan objects (no limits or checks applied; wireBytes is 0). */
export function decodeWithProtobufjs(bytes: Uint8Array): OtlpSpan[] {
  const req = ExportTraceServiceRequestType.decode(bytes) as PbMsg;
  const out: OtlpSpan[] = [];
  for (const rs of (req.resourceSpans ?? []) as PbMsg[]) {
    const resource: OtlpResource = { attributes: attrs(rs.resource?.attributes), droppedAttributesCount: rs.resource?.droppedAttributesCount ?? 0 };
    for (const ss of (rs.scopeSpans ?? []) as PbMsg[]) {
      const scope: OtlpScope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '', attributes: attrs(ss.scope?.attributes) };
      for (const s of (ss.spans ?? []) as PbMsg[]) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          traceState: s.traceState ?? '',
          flags: s.flags ?? 0,
          name: s.name ?? '',
          kind: (s.kind ?? 0) as SpanKindNumber,
          startTimeUnixNano: u64(s.startTimeUnixNano),
          endTimeUnixNano: u64(s.endTimeUnixNano),
          attributes: attrs(s.attributes),
          droppedAttributesCount: s.droppedAttributesCount ?? 0,
          events: ((s.events ?? []) as PbMsg[]).map(
            (e): OtlpEvent => ({ timeUnixNano: u64(e.timeUnixNano), name: e.name ?? '', attributes: attrs(e.attributes) }),
          ),
          links: ((s.links ?? []) as PbMsg[]).map(
            (l): OtlpLink => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), traceState: l.traceState ?? '', attributes: attrs(l.attributes) }),
          ),
          status: { code: (s.status?.code ?? 0) as StatusCodeNumber, message: s.status?.message ?? '' },
          resource,
          scope,
          wireBytes: 0,
        });
      }
    }
  }
  return out;
}

/** Decodes with protobufjs only (no conversion), for the benchmark's lower bound. */
export function decodeRawWithProtobufjs(bytes: Uint8Array): unknown {
  return ExportTraceServiceRequestType.decode(bytes);
}
