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
import type { AttrValue, Attributes } from '../model/otlp-values.js';
import type { NormalizedSpan } from '../model/span.js';

/** Fixed per-span cost in bytes: object headers, hidden classes, id strings, bigints, map entries. */
export const SPAN_OVERHEAD_BYTES = 1_200;
/** Attribute strings are held as JS strings and records, larger than their protobuf encoding. */
export const WIRE_FACTOR = 1.2;

/**
 * The bytes a span is charged while it is buffered. A span held lean (`detailAt` set: its attributes but the keys
 * decisions read, its events and links are in the log, src/sessions/span-detail.ts) holds its fixed fields and the
 * attributes it kept, not its wire size: it is charged the fixed part plus its kept attributes' text. Measured on the
 * e2e traffic (1,048 wire bytes per span, nothing kept), spans held as columns (span-pack.ts): ~720 heap bytes per lean
 * span, and 1,200–1,290 bytes of RSS growth per buffered span once the load stopped (1.14–1.23× the wire bytes,
 * `bench/buffered-rss.ts --phases growth`, which counts the young generation, pages and malloc'd memory too): the
 * charge of 1,200 is what a lean span costs the process, not an estimate of its objects alone.
 */
export function retainedBytes(span: Pick<NormalizedSpan, 'wireBytes' | 'detailAt' | 'attributes'>): number {
  if (span.detailAt !== undefined) return SPAN_OVERHEAD_BYTES + Math.ceil(attributeBytes(span.attributes) * WIRE_FACTOR);
  return SPAN_OVERHEAD_BYTES + Math.ceil(span.wireBytes * WIRE_FACTOR);
}

/** About the bytes of an attribute map's keys and values as held (strings at one byte per character, 8 per number). */
export function attributeBytes(attributes: Attributes): number {
  let n = 0;
  for (const key in attributes) n += key.length + 16 + valueBytes(attributes[key]!);
  return n;
}

function valueBytes(v: AttrValue): number {
  if (typeof v === 'string') return v.length + 16;
  if (v === null || typeof v !== 'object') return 16;
  if (v instanceof Uint8Array) return v.byteLength + 64;
  if (Array.isArray(v)) {
    let n = 32;
    for (const x of v) n += valueBytes(x);
    return n;
  }
  return 32 + attributeBytes(v);
}

/** The bytes a request of `wireBytes` is expected to take once buffered (admission, before decoding). */
export function retainedBytesOfRequest(wireBytes: number): number {
  return Math.ceil(wireBytes * WIRE_FACTOR);
}
