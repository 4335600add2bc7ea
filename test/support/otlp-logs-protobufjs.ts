/**
 * Reference decoder for ExportLogsServiceRequest: protobufjs over a descriptor of the opentelemetry-proto v1 logs
 * messages (field numbers from logs.proto), sharing the common messages of the trace descriptor, converted to the
 * decoder's OtlpLogRecord shape (no limits or checks; wireBytes 0).
 */
import protobuf from 'protobufjs';
import type { OtlpLogRecord } from '../../src/otlp/log-types.js';
import type { OtlpResource, OtlpScope } from '../../src/model/otlp-values.js';
import { anyValue, attrs, hex, OTLP_TRACE_DESCRIPTOR, u64 } from './otlp-protobufjs.js';

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const one = (type: string, id: number) => ({ type, id });

const root = protobuf.Root.fromJSON({
  nested: {
    ...OTLP_TRACE_DESCRIPTOR.nested,
    ExportLogsServiceRequest: { fields: { resourceLogs: repeated('ResourceLogs', 1) } },
    ResourceLogs: { fields: { resource: one('Resource', 1), scopeLogs: repeated('ScopeLogs', 2), schemaUrl: one('string', 3) } },
    ScopeLogs: { fields: { scope: one('InstrumentationScope', 1), logRecords: repeated('LogRecord', 2), schemaUrl: one('string', 3) } },
    LogRecord: {
      fields: {
        timeUnixNano: one('fixed64', 1),
        observedTimeUnixNano: one('fixed64', 11),
        severityNumber: one('int32', 2),
        severityText: one('string', 3),
        body: one('AnyValue', 5),
        attributes: repeated('KeyValue', 6),
        droppedAttributesCount: one('uint32', 7),
        flags: one('fixed32', 8),
        traceId: one('bytes', 9),
        spanId: one('bytes', 10),
        eventName: one('string', 12),
      },
    },
  },
});
/** protobufjs type for ExportLogsServiceRequest. */
export const ExportLogsServiceRequestType = root.lookupType('ExportLogsServiceRequest');

type PbMsg = any;

/** Decodes with protobufjs into OtlpLogRecord objects (eventName as on the wire, else the `event.name` attribute). */
export function decodeLogsWithProtobufjs(bytes: Uint8Array): OtlpLogRecord[] {
  const req = ExportLogsServiceRequestType.decode(bytes) as PbMsg;
  const out: OtlpLogRecord[] = [];
  for (const rl of (req.resourceLogs ?? []) as PbMsg[]) {
    const resource: OtlpResource = { attributes: attrs(rl.resource?.attributes), droppedAttributesCount: rl.resource?.droppedAttributesCount ?? 0 };
    if (rl.schemaUrl) resource.schemaUrl = rl.schemaUrl as string;
    for (const sl of (rl.scopeLogs ?? []) as PbMsg[]) {
      const scope: OtlpScope = { name: sl.scope?.name ?? '', version: sl.scope?.version ?? '', attributes: attrs(sl.scope?.attributes) };
      if (sl.schemaUrl) scope.schemaUrl = sl.schemaUrl as string;
      for (const r of (sl.logRecords ?? []) as PbMsg[]) {
        const attributes = attrs(r.attributes);
        const named = attributes['event.name'];
        out.push({
          timeUnixNano: u64(r.timeUnixNano),
          observedTimeUnixNano: u64(r.observedTimeUnixNano),
          severityNumber: r.severityNumber ?? 0,
          severityText: r.severityText ?? '',
          body: anyValue(r.body),
          attributes,
          droppedAttributesCount: r.droppedAttributesCount ?? 0,
          flags: r.flags ?? 0,
          traceId: hex(r.traceId),
          spanId: hex(r.spanId),
          eventName: (r.eventName as string) || (typeof named === 'string' ? named : ''),
          resource,
          scope,
          wireBytes: 0,
        });
      }
    }
  }
  return out;
}
