/**
 * Span-level checks shared by both decoders. A failed check rejects one span (reported through
 * partial_success), never the whole request.
 */
import type { DecodeLimits, SpanRejectionKind } from './types.js';

/** Thrown inside a decoder to reject the span being decoded; caught at the span loop, never escapes. */
export class SpanRejectError extends Error {
  constructor(
    readonly kind: SpanRejectionKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Rejects the span when an AnyValue sits deeper than `maxDepth` (the same rule in the protobuf and JSON readers). */
export function checkNesting(depth: number, maxDepth: number): void {
  if (depth > maxDepth) throw new SpanRejectError('nesting', `AnyValue nested deeper than maxAnyValueDepth ${maxDepth}`);
}

/** Rejects the span when `owner` (a span, event or link) carries more than `max` attributes. */
export function checkAttributeCount(count: number, max: number, owner: string): void {
  if (count > max) throw new SpanRejectError('attributes', `${owner} has more than maxAttributesPerSpan ${max} attributes`);
}

/** A problem that rejects every span under a bad resource or scope. */
export interface SpanProblem {
  kind: SpanRejectionKind;
  reason: string;
}

/** The rejection kind of an id named as the decoders name them ('traceId', 'link spanId', 'parentSpanId'). */
export function idKind(what: string): SpanRejectionKind {
  if (what === 'parentSpanId') return 'parent_span_id';
  return what.endsWith('traceId') ? 'trace_id' : 'span_id';
}

/** The accepted timestamp window in unix nanoseconds, computed once per request. */
export interface TimeWindowNs {
  minNs: bigint;
  maxNs: bigint;
}

/** The window [now - maxPastMs, now + maxFutureMs] in nanoseconds. */
export function timeWindowNs(limits: DecodeLimits, nowMs: number): TimeWindowNs {
  const now = Math.floor(nowMs);
  return {
    minNs: BigInt(Math.max(0, now - limits.maxPastMs)) * 1_000_000n,
    maxNs: BigInt(now + limits.maxFutureMs) * 1_000_000n,
  };
}

/** Throws SpanRejectError when the span's times are out of order or outside the window. */
export function checkSpanTimes(startNs: bigint, endNs: bigint, window: TimeWindowNs): void {
  if (startNs < window.minNs || startNs > window.maxNs) {
    throw new SpanRejectError('timestamp', `startTimeUnixNano ${startNs} is outside the accepted window [${window.minNs}, ${window.maxNs}]`);
  }
  if (endNs < window.minNs || endNs > window.maxNs) {
    throw new SpanRejectError('timestamp', `endTimeUnixNano ${endNs} is outside the accepted window [${window.minNs}, ${window.maxNs}]`);
  }
  if (endNs < startNs) {
    throw new SpanRejectError('timestamp', `endTimeUnixNano ${endNs} is before startTimeUnixNano ${startNs}`);
  }
}

/**
 * Throws SpanRejectError when an event's time is outside the accepted window. Events are stamped by the span's own
 * clock, so the span's window applies; outside it, a DateTime64(9) cell cannot hold the value (>= 2^63 ns) or
 * ClickHouse would read it in another unit (a short number is read as seconds).
 */
export function checkEventTimes(events: readonly { timeUnixNano: bigint }[], window: TimeWindowNs): void {
  for (let i = 0; i < events.length; i++) {
    const t = events[i]!.timeUnixNano;
    if (t < window.minNs || t > window.maxNs) {
      throw new SpanRejectError('timestamp', `events[${i}].timeUnixNano ${t} is outside the accepted window [${window.minNs}, ${window.maxNs}]`);
    }
  }
}

/** Throws SpanRejectError when an id has the wrong length or is all zero (parent ids may also be empty). */
export function checkIdBytes(what: string, byteLength: number, expected: number, zero: boolean, mayBeEmpty: boolean): void {
  if (byteLength === 0 && mayBeEmpty) return;
  if (byteLength !== expected) {
    throw new SpanRejectError(idKind(what), `${what} is ${byteLength} bytes, expected ${expected}${mayBeEmpty ? ' or empty' : ''}`);
  }
  if (zero) throw new SpanRejectError(idKind(what), `${what} is all zero`);
}
