/**
 * String and id helpers shared by the protobuf and JSON decoders: UTF-8 decoding with a fast path,
 * byte-limit truncation on a character boundary, and hex via a lookup table.
 */

import { isUtf8 } from 'node:buffer';
import { SpanRejectError } from './span-checks.js';

/**
 * Buffer's native slicers behind toString('latin1' | 'hex', start, end), called directly to skip
 * toString's argument normalisation on the hottest path (present on Buffer.prototype since Node 0.x).
 */
type NativeSlices = Buffer & { latin1Slice(start: number, end: number): string; hexSlice(start: number, end: number): string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes buf[start, end) as UTF-8; invalid UTF-8 rejects the span. ASCII (most keys and values) goes
 * through Buffer#toString('latin1'), one native allocation, instead of TextDecoder's validation.
 */
export function decodeUtf8(buf: Buffer, start: number, end: number): string {
  if (start === end) return '';
  let i = start;
  while (i < end && buf[i]! < 0x80) i++;
  if (i === end) return (buf as NativeSlices).latin1Slice(start, end);
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch (err) {
    throw new SpanRejectError('utf8', `string of ${end - start} bytes at byte ${start} is not valid UTF-8`, { cause: err });
  }
}

/**
 * Checks buf[start, end) as decodeUtf8 would decode it, without making the string: invalid UTF-8 rejects the span with
 * the same reason. Long runs go to the native check (buffer.isUtf8) rather than a byte loop.
 */
export function checkUtf8(buf: Buffer, start: number, end: number): void {
  if (end - start <= 32) {
    let i = start;
    while (i < end && buf[i]! < 0x80) i++;
    if (i === end) return;
  }
  if (!isUtf8(buf.subarray(start, end))) throw new SpanRejectError('utf8', `string of ${end - start} bytes at byte ${start} is not valid UTF-8`);
}

/** The end index of buf[start, end) cut to at most maxBytes without splitting a UTF-8 sequence. */
export function utf8CutEnd(buf: Uint8Array, start: number, end: number, maxBytes: number): number {
  if (end - start <= maxBytes) return end;
  let cut = start + maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the kept prefix ends on a character boundary.
  while (cut > start && (buf[cut]! & 0xc0) === 0x80) cut--;
  return cut;
}

/** Lowercase hex of buf[start, end) (one native allocation; no per-byte string concatenation). */
export function hexOf(buf: Buffer, start: number, end: number): string {
  return (buf as NativeSlices).hexSlice(start, end);
}

/** True when buf[start, end) is all zero bytes. */
export function allZero(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when a JS string has no lone surrogate, i.e. it can be encoded as UTF-8. */
export function isWellFormedString(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

const encoder = new TextEncoder();

/** Cuts a JS string to at most maxBytes of UTF-8; returns it unchanged (same reference) when it fits. */
export function truncateString(s: string, maxBytes: number): string {
  // A UTF-16 code unit never takes more than 3 UTF-8 bytes, so short strings need no byte count.
  if (s.length * 3 <= maxBytes) return s;
  const bytes = encoder.encode(s);
  if (bytes.length <= maxBytes) return s;
  const end = utf8CutEnd(bytes, 0, bytes.length, maxBytes);
  return utf8.decode(bytes.subarray(0, end));
}

/** Sets obj[key] as an own data property, so a key named "__proto__" cannot replace the prototype. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}
