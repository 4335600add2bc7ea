/**
 * Decoded OTLP trace data, as produced by the decoders in this folder (protobuf and OTLP/JSON alike).
 * Ids are lowercase hex strings; times are unsigned nanoseconds since the epoch as bigint.
 */
import type { Attributes, OtlpEvent, OtlpLink, OtlpResource, OtlpScope, SpanKindNumber, StatusCodeNumber } from '../model/otlp-values.js';

export interface OtlpSpan {
  traceId: string; // 32 hex chars
  spanId: string; // 16 hex chars
  parentSpanId: string; // '' for a root span
  traceState: string;
  flags: number;
  name: string;
  kind: SpanKindNumber;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: OtlpEvent[];
  links: OtlpLink[];
  status: { code: StatusCodeNumber; message: string };
  /** Shared by every span of the same ResourceSpans. */
  resource: OtlpResource;
  /** Shared by every span of the same ScopeSpans. */
  scope: OtlpScope;
  /** Size of this span's encoding on the wire (protobuf bytes, or JSON bytes for OTLP/JSON). */
  wireBytes: number;
  /**
   * Set when the span was decoded through an attribute filter (proto-attributes.ts `AttrFilter`): its `attributes`
   * hold only the keys normalization and decisions read, and this holds the marks of the keys left out (the
   * conventions their names belong to, conventions/span-keys.ts). Such a span is held lean until its session is kept.
   */
  attributesLeftOut?: number;
}

/** Why a span was rejected, as a code (metric label); the reason text says the details. */
export type SpanRejectionKind =
  | 'trace_id'
  | 'span_id'
  | 'parent_span_id'
  | 'timestamp'
  | 'utf8'
  | 'attributes'
  | 'nesting'
  | 'events_links'
  | 'malformed'
  /** A token count that is not a non-negative integer, or above the plausibility ceiling (conventions/value-checks.ts). */
  | 'usage'
  /** A reported cost that is negative, not finite, or above the plausibility ceiling. */
  | 'cost'
  /** A metric without a name or without data (src/otlp/decode-metrics.ts). */
  | 'metric'
  /** A metric data point without a value, or with a value the tables cannot hold (NaN, infinity). */
  | 'value'
  /** Histogram buckets that do not match their bounds or their count. */
  | 'buckets';

/** A span the decoder refused while accepting the rest of the request (reported via partial_success). */
export interface SpanRejection {
  kind: SpanRejectionKind;
  /** Which span, as far as it could be read ("resourceSpans[0].scopeSpans[1].spans[7]"). */
  path: string;
  reason: string;
}

export interface DecodedExport {
  spans: OtlpSpan[];
  rejected: SpanRejection[];
  /** Strings cut to maxStringBytes in this request (absent when none were). */
  truncatedStrings?: number;
  /** OTLP/JSON with only unknown top-level fields (src/otlp/proto-envelope.ts UnknownFields); absent otherwise. */
  unknownFields?: { fields: string[]; message: string };
}

/** Structural limits applied while decoding; exceeding one rejects the span or the request. */
export interface DecodeLimits {
  /** Attributes per span, event or link; more rejects the span. */
  maxAttributesPerSpan: number;
  /** Nesting depth of AnyValue (arrays, kvlists); deeper rejects the span. */
  maxAnyValueDepth: number;
  /** Longest string value kept, in bytes; longer values are truncated and counted. */
  maxStringBytes: number;
  /** Events and links per span; more rejects the span. */
  maxEventsPerSpan: number;
  /** Spans per request; more rejects the request. */
  maxSpansPerRequest: number;
  /** Timestamps must fall within [now - maxPastMs, now + maxFutureMs]. */
  maxPastMs: number;
  maxFutureMs: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxAttributesPerSpan: 1024,
  maxAnyValueDepth: 16,
  maxStringBytes: 256 * 1024, // 256 KiB
  maxEventsPerSpan: 1024,
  maxSpansPerRequest: 100_000,
  maxPastMs: 30 * 24 * 3600 * 1000, // 30 days
  maxFutureMs: 24 * 3600 * 1000, // 1 day
};

/**
 * One frozen empty list that spans share for their empty events, links, evals and usage lists: a buffered span holds
 * five such lists, mostly empty, and a fresh empty array costs 16 heap bytes each (bench/buffer.ts). Frozen, so a
 * stray push fails loudly instead of changing every span.
 */
const NOTHING: readonly never[] = Object.freeze([]);

/** `xs`, or the shared frozen empty list when it is empty. */
export function shareEmpty<T>(xs: T[]): T[] {
  return xs.length === 0 ? (NOTHING as never[]) : xs;
}
