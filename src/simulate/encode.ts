/** Encodes simulated traces as OTLP ExportTraceServiceRequest protobuf, with the OTel JS serializer. */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { SimTrace } from './scenario.js';

type HrTime = [number, number];

function hr(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

export interface EncodeOptions {
  serviceName: string;
  /** Extra resource attributes (e.g. `tenant.id` through a trusted gateway). */
  resourceAttributes?: Record<string, string>;
}

/** One Export request holding every span of the given traces. */
export function encodeTraces(traces: SimTrace[], opts: EncodeOptions): Uint8Array {
  // A structural ReadableSpan: the serializer reads only these members.
  const resource = {
    attributes: { 'service.name': opts.serviceName, 'telemetry.sdk.name': 'agenttail-simulate', ...opts.resourceAttributes },
    asyncAttributesPending: false,
    schemaUrl: undefined,
  };
  const scope = { name: 'agenttail.simulate', version: '1.0.0' };
  const spans = traces.flatMap((trace) =>
    trace.spans.map((s) => ({
      name: s.name,
      kind: s.kind - 1, // api SpanKind is 0-based (INTERNAL = 0); OTLP adds 1
      spanContext: () => ({ traceId: trace.traceId, spanId: s.spanId, traceFlags: 1 }),
      parentSpanContext: s.parentSpanId ? { traceId: trace.traceId, spanId: s.parentSpanId, traceFlags: 1, isRemote: false } : undefined,
      startTime: hr(s.startMs),
      endTime: hr(s.endMs),
      status: s.error ? { code: 2, message: s.error.message } : { code: 0 },
      attributes: s.attributes,
      links: [],
      events: (s.events ?? []).map((e) => ({ name: e.name, time: hr(e.timeMs), attributes: e.attributes, droppedAttributesCount: 0 })),
      duration: hr(s.endMs - s.startMs),
      ended: true,
      resource,
      instrumentationScope: scope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    })),
  );
  const bytes = ProtobufTraceSerializer.serializeRequest(spans as never);
  if (!bytes) throw new Error('the OTLP serializer returned nothing');
  return bytes;
}
