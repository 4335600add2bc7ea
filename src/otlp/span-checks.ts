/**
 * Span-level checks shared by both decoders. A failed check rejects one span (reported through
 * partial_success), never the whole request.
 */
import type { DecodeLimits } from './types.js';

/** Thrown inside a decoder to reject the span being decoded; caught at the span loop, never escapes. */
export class SpanRejectError extends Error {}

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
    throw new SpanRejectError(`startTimeUnixNano ${startNs} is outside the accepted window [${window.minNs}, ${window.maxNs}]`);
  }
  if (endNs < window.minNs || endNs > window.maxNs) {
    throw new SpanRejectError(`endTimeUnixNano ${endNs} is outside the accepted window [${window.minNs}, ${window.maxNs}]`);
  }
  if (endNs < startNs) {
    throw new SpanRejectError(`endTimeUnixNano ${endNs} is before startTimeUnixNano ${startNs}`);
  }
}

/** Throws SpanRejectError when an id has the wrong length or is all zero (parent ids may also be empty). */
export function checkIdBytes(what: string, byteLength: number, expected: number, zero: boolean, mayBeEmpty: boolean): void {
  if (byteLength === 0 && mayBeEmpty) return;
  if (byteLength !== expected) {
    throw new SpanRejectError(`${what} is ${byteLength} bytes, expected ${expected}${mayBeEmpty ? ' or empty' : ''}`);
  }
  if (zero) throw new SpanRejectError(`${what} is all zero`);
}
