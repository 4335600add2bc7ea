/** Decoded OTLP log records (opentelemetry-proto logs/v1), as produced by decode-logs.ts (protobuf and OTLP/JSON). */
import type { AttrValue, Attributes, OtlpResource, OtlpScope } from '../model/otlp-values.js';
import type { SpanRejection } from './types.js';

/** One LogRecord. Ids are lowercase hex ('' when absent); times are unix nanoseconds (0n when absent). */
export interface OtlpLogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: AttrValue;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
  traceId: string;
  spanId: string;
  /** LogRecord.event_name, else the `event.name` attribute older SDKs set ('' when neither). */
  eventName: string;
  /** Shared by every record of the same ResourceLogs. */
  resource: OtlpResource;
  /** Shared by every record of the same ScopeLogs. */
  scope: OtlpScope;
  /** Size of this record's encoding on the wire. */
  wireBytes: number;
}

/** A decoded ExportLogsServiceRequest. */
export interface DecodedLogs {
  records: OtlpLogRecord[];
  rejected: SpanRejection[];
  truncatedStrings?: number;
  /** OTLP/JSON holding no known top-level field (`{"resourceLog": …}`): the fields, and the partial_success message. */
  unknownFields?: { fields: string[]; message: string };
}
