/**
 * OTLP values as decoded (protobuf and OTLP/JSON alike): attribute values, resource, scope, events, links, span kind
 * and status numbers. Ids are lowercase hex strings; times are unsigned nanoseconds since the epoch as bigint.
 */

/** An OTLP AnyValue. int64 values within ±2^53 are numbers; larger ones are decimal strings. */
export type AttrValue =
  | string
  | number
  | boolean
  | Uint8Array
  | null
  | AttrValue[]
  | { [key: string]: AttrValue };

export type Attributes = Record<string, AttrValue>;

export interface OtlpResource {
  attributes: Attributes;
  droppedAttributesCount: number;
  /** The ResourceSpans / ResourceLogs schema_url, when given. */
  schemaUrl?: string;
}

export interface OtlpScope {
  name: string;
  version: string;
  attributes: Attributes;
  /** The ScopeSpans / ScopeLogs schema_url, when given. */
  schemaUrl?: string;
}

export interface OtlpEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
}

export interface OtlpLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
}

/** OTLP SpanKind numbers (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
export type SpanKindNumber = 0 | 1 | 2 | 3 | 4 | 5;

/** OTLP status code numbers (0 unset, 1 ok, 2 error). */
export type StatusCodeNumber = 0 | 1 | 2;
