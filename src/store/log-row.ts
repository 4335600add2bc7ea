/** Row builder for the `logs` table (the OTel exporter's otel_logs shape plus TenantId and SessionId). */
import type { OtlpLogRecord } from '../otlp/log-types.js';
import { attrsToMap, attrToString, nsCell } from './cell-format.js';

/** One `logs` row as an object by column (row-format.ts writes its line); `sessionId` is the session the record joined ('' for none). */
export function buildLogRow(tenantId: string, r: OtlpLogRecord, sessionId: string): Record<string, unknown> {
  const service = r.resource.attributes['service.name'];
  // A record without a time is placed at its observed time (the OTLP data model's fallback).
  const ts = r.timeUnixNano !== 0n ? r.timeUnixNano : r.observedTimeUnixNano;
  return {
    Timestamp: nsCell(ts),
    TraceId: r.traceId,
    SpanId: r.spanId,
    // Only the low byte (the W3C trace flags) is defined; the exporter stores that.
    TraceFlags: r.flags & 0xff,
    SeverityText: r.severityText,
    SeverityNumber: r.severityNumber,
    ServiceName: typeof service === 'string' ? service : '',
    Body: attrToString(r.body),
    ResourceSchemaUrl: r.resource.schemaUrl ?? '',
    ResourceAttributes: attrsToMap(r.resource.attributes),
    ScopeSchemaUrl: r.scope.schemaUrl ?? '',
    ScopeName: r.scope.name,
    ScopeVersion: r.scope.version,
    ScopeAttributes: attrsToMap(r.scope.attributes),
    LogAttributes: attrsToMap(r.attributes),
    EventName: r.eventName,
    TenantId: tenantId,
    SessionId: sessionId,
  };
}
