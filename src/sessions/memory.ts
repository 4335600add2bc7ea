/**
 * Memory accounting for buffered spans. A decoded span is a tree of JS objects (ids as strings, bigint
 * times, attribute records, the GenAiInfo and cost objects) whose heap size is not knowable cheaply, so
 * each span is charged an estimate: its wire size scaled by WIRE_FACTOR plus a fixed per-span overhead.
 * The constants come from bench/buffer.ts (heap delta after GC per buffered span, decoded + normalized
 * GenAI spans of ~930 wire bytes: ~2 150 heap bytes each, i.e. ~2.3× wire): 1 200 + 1.2 × wire charges
 * ~2 310 bytes for such a span, a little above what it really takes, so maxBufferBytes bounds the heap. (Since then
 * the reader shares repeated strings and spans share empty lists: such a span takes ~1 580 heap bytes and the charge
 * is ~46 % high. Left so on purpose: spans with many small attributes take more heap per wire byte than this traffic.)
 */
import type { NormalizedSpan } from '../model/span.js';

/** Fixed per-span cost in bytes: object headers, hidden classes, id strings, bigints, map entries. */
export const SPAN_OVERHEAD_BYTES = 1_200;
/** Attribute strings are held as JS strings and records, larger than their protobuf encoding. */
export const WIRE_FACTOR = 1.2;

/** The bytes a span is charged while it is buffered. */
export function retainedBytes(span: Pick<NormalizedSpan, 'wireBytes'>): number {
  return SPAN_OVERHEAD_BYTES + Math.ceil(span.wireBytes * WIRE_FACTOR);
}

/** The bytes a request of `wireBytes` is expected to take once buffered (admission, before decoding). */
export function retainedBytesOfRequest(wireBytes: number): number {
  return Math.ceil(wireBytes * WIRE_FACTOR);
}
