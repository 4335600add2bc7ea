/**
 * A minimal protobuf wire-format reader over one request buffer. It allocates nothing per field:
 * callers read tags and values at `pos` and pass message ends explicitly.
 */
import { AgtError } from '../model/errors.js';
import { checkUtf8, decodeUtf8, utf8CutEnd } from './text.js';

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32', 'wire type 6', 'wire type 7'];
const MAX_GROUP_DEPTH = 32;

/** Throws the request-level error for malformed bytes. */
export function malformed(message: string): never {
  throw new AgtError('AGT_ERR_MALFORMED_REQUEST', message);
}

/** Attribute keys up to this many bytes are cached (longer ones are rare and decoded each time). */
const KEY_CACHE_MAX_BYTES = 64;
/** String attribute values up to this many bytes are cached. */
const VALUE_CACHE_MAX_BYTES = 48;

/**
 * A direct-mapped cache of decoded strings by their bytes; a collision replaces the slot. Slot `s` holds the string,
 * its byte length (0: empty) and its bytes as little-endian 32-bit words, read at offsets 0, 4, 8, … and once more
 * ending at the last byte (overlapping the word before when the length is not a multiple of 4); a string under 4
 * bytes is one word of its bytes. Equal lengths and equal words mean equal bytes, so a hit compares a quarter as many
 * values as a byte-by-byte check, and the entries live in three flat arrays instead of an object and a copy each.
 */
class StringCache {
  readonly lens: Int32Array;
  readonly words: Int32Array;
  readonly strs: string[];
  /** Words per slot: ceil(maxBytes / 4). */
  readonly stride: number;
  /** 32 - log2(slots): the slot is the top bits of the hash. */
  readonly shift: number;

  constructor(slotsLog2: number, maxBytes: number) {
    const slots = 1 << slotsLog2;
    this.lens = new Int32Array(slots);
    this.stride = Math.ceil(maxBytes / 4);
    this.words = new Int32Array(slots * this.stride);
    this.strs = new Array<string>(slots).fill('');
    this.shift = 32 - slotsLog2;
  }
}

const keyCache = new StringCache(12, KEY_CACHE_MAX_BYTES); // 4,096 slots
const valueCache = new StringCache(13, VALUE_CACHE_MAX_BYTES); // 8,192 slots

/** The words of the string being looked up (ProtoReader.wordsOf): one scratch for both caches, reads are synchronous. */
const WORDS = new Int32Array(Math.ceil(Math.max(KEY_CACHE_MAX_BYTES, VALUE_CACHE_MAX_BYTES) / 4));

/**
 * Mixes one 32-bit word into the hash: multiply, then rotate so the high bits the multiply filled reach the low bits
 * the next multiply spreads (on the bench and e2e traffic it misses as rarely as byte-wise FNV-1a did).
 */
function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x9e3779b1);
  return (h << 13) | (h >>> 19);
}

/** buf[start, end) (1 to 3 bytes) as one little-endian word. */
function shortWord(buf: Buffer, start: number, end: number): number {
  let w = buf[start]!;
  if (start + 1 < end) w |= buf[start + 1]! << 8;
  if (start + 2 < end) w |= buf[start + 2]! << 16;
  return w;
}

/** Reads protobuf wire values from one buffer; `pos` is the next byte to read. */
export class ProtoReader {
  /** The request bytes as a Buffer view (no copy), for native latin1 / hex slicing. */
  readonly buf: Buffer;
  readonly view: DataView;
  pos = 0;
  /** Strings cut to maxStringBytes so far. */
  truncatedStrings = 0;
  private readonly maxStringBytes: number;

  constructor(buf: Uint8Array, maxStringBytes: number) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.maxStringBytes = maxStringBytes;
  }

  /** An unsigned varint as a number (exact up to 2^53; lengths, tags, enums, counts, bools). */
  uint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let b = buf[pos++];
    if (b === undefined) return malformed(`truncated varint at byte ${this.pos}`);
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let v = b & 0x7f;
    let mul = 128;
    for (let i = 1; i < 10; i++) {
      b = buf[pos++];
      if (b === undefined) return malformed(`truncated varint at byte ${this.pos}`);
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = pos;
        return v;
      }
      mul *= 128;
    }
    return malformed(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** A field tag; field number 0 is never valid. */
  tag(): number {
    const at = this.pos;
    const t = this.uint();
    if (t < 8) malformed(`invalid field number 0 at byte ${at}`);
    return t;
  }

  /** A signed int64 varint: a number when it is a safe integer, otherwise its decimal string. */
  int64(): number | string {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let hi = 0;
    let b = 0;
    let done = false;
    for (let shift = 0; shift < 28; shift += 7) {
      b = buf[pos++] ?? malformed(`truncated varint at byte ${start}`);
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        done = true;
        break;
      }
    }
    if (!done) {
      b = buf[pos++] ?? malformed(`truncated varint at byte ${start}`);
      lo |= (b & 0x0f) << 28;
      hi = (b & 0x7f) >> 4;
      if (b >= 0x80) {
        for (let shift = 3; ; shift += 7) {
          if (shift > 31 + 7) malformed(`varint longer than 10 bytes at byte ${start}`);
          b = buf[pos++] ?? malformed(`truncated varint at byte ${start}`);
          hi |= (b & 0x7f) << shift;
          if (b < 0x80) break;
        }
      }
    }
    this.pos = pos;
    lo >>>= 0;
    hi >>>= 0;
    const v = hi & 0x80000000 ? -((~hi >>> 0) * 4294967296 + (~lo >>> 0) + 1) : hi * 4294967296 + lo;
    if (Number.isSafeInteger(v)) return v;
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
  }

  /** Reads a length prefix and returns the end of the value it announces, checked against `end`. */
  lengthEnd(end: number): number {
    const at = this.pos;
    const len = this.uint();
    const valueEnd = this.pos + len;
    if (valueEnd > end) malformed(`truncated length-delimited field at byte ${at}: ${len} bytes announced, ${end - this.pos} left`);
    return valueEnd;
  }

  /** A little-endian fixed64 as an unsigned bigint (span and event times). */
  fixed64(end: number): bigint {
    if (this.pos + 8 > end) malformed(`truncated fixed64 field at byte ${this.pos}`);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A little-endian fixed32 as an unsigned number (span and link flags). */
  fixed32(end: number): number {
    if (this.pos + 4 > end) malformed(`truncated fixed32 field at byte ${this.pos}`);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A little-endian IEEE double. */
  double(end: number): number {
    if (this.pos + 8 > end) malformed(`truncated double field at byte ${this.pos}`);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited UTF-8 string, cut to maxStringBytes (counted) on a character boundary. */
  string(end: number): string {
    const valueEnd = this.lengthEnd(end);
    return this.stringAt(this.pos, valueEnd);
  }

  /**
   * Reads past a length-delimited UTF-8 string as `string` and `value` read it (a cut to maxStringBytes counted, the
   * bytes kept checked as UTF-8) without making it: an attribute a decode leaves out (proto-attributes.ts).
   */
  skipString(end: number): void {
    const valueEnd = this.lengthEnd(end);
    const start = this.pos;
    this.pos = valueEnd;
    checkUtf8(this.buf, start, this.keptEnd(start, valueEnd));
  }

  /**
   * An attribute key. Keys repeat across spans (the same dozen names in every span), so short ones come from a small
   * direct-mapped cache keyed by their bytes: the span's record gets the same string object each time, which spares
   * an allocation and lets V8 reuse the internalized property name instead of hashing a fresh string per span.
   */
  key(end: number): string {
    return this.cached(end, keyCache, KEY_CACHE_MAX_BYTES);
  }

  /**
   * A string attribute value. Short values repeat too (model, provider, operation, service, the session and user ids
   * of every span of a session), so they come from their own cache: the buffered spans share one string per value.
   */
  value(end: number): string {
    return this.cached(end, valueCache, VALUE_CACHE_MAX_BYTES);
  }

  private cached(end: number, cache: StringCache, maxBytes: number): string {
    const valueEnd = this.lengthEnd(end);
    const start = this.pos;
    const len = valueEnd - start;
    // Longer strings, and any string the byte limit would cut, take the plain path (with its truncation count).
    if (len === 0 || len > maxBytes || len > this.maxStringBytes) return this.stringAt(start, valueEnd);
    this.pos = valueEnd;
    const { words, lens } = cache;
    // The string as words (once), then: hashed (every byte counts, so ids that differ anywhere land in different
    // slots), compared with the slot's words, copied into the slot on a miss.
    const n = this.wordsOf(start, valueEnd);
    const cur = WORDS;
    let h = Math.imul(len, 0x85ebca6b);
    for (let i = 0; i < n; i++) h = mix(h, cur[i]!);
    const slot = Math.imul(h, 0xc2b2ae35) >>> cache.shift;
    const base = slot * cache.stride;
    if (lens[slot] === len) {
      let i = 0;
      while (i < n && words[base + i] === cur[i]) i++;
      if (i === n) return cache.strs[slot]!;
    }
    const str = decodeUtf8(this.buf, start, valueEnd);
    lens[slot] = len;
    cache.strs[slot] = str;
    words.set(cur.subarray(0, n), base);
    return str;
  }

  /**
   * buf[start, end) into WORDS as little-endian 32-bit words, read at offsets 0, 4, 8, … and once more ending at the
   * last byte (overlapping the word before when the length is not a multiple of 4); under 4 bytes, one word of them.
   * Returns how many words.
   */
  private wordsOf(start: number, end: number): number {
    if (end - start < 4) {
      WORDS[0] = shortWord(this.buf, start, end);
      return 1;
    }
    const view = this.view;
    const lastAt = end - 4;
    let n = 0;
    for (let i = start; i < lastAt; i += 4) WORDS[n++] = view.getInt32(i, true);
    WORDS[n++] = view.getInt32(lastAt, true);
    return n;
  }

  private stringAt(start: number, valueEnd: number): string {
    this.pos = valueEnd;
    return decodeUtf8(this.buf, start, this.keptEnd(start, valueEnd));
  }

  /** The end of buf[start, valueEnd) kept under maxStringBytes, on a character boundary; a cut is counted. */
  private keptEnd(start: number, valueEnd: number): number {
    const cut = utf8CutEnd(this.buf, start, valueEnd, this.maxStringBytes);
    if (cut !== valueEnd) this.truncatedStrings++;
    return cut;
  }

  /** A length-delimited bytes value, copied so it does not pin the request buffer. */
  bytes(end: number): Uint8Array {
    const valueEnd = this.lengthEnd(end);
    // A plain Uint8Array copy: Buffer#slice would return a view that pins the whole request.
    const copy = new Uint8Array(valueEnd - this.pos);
    copy.set(this.buf.subarray(this.pos, valueEnd));
    this.pos = valueEnd;
    return copy;
  }

  /** Skips one field's value per protobuf rules (unknown fields, forward compatibility). */
  skip(tag: number, end: number): void {
    this.skipValue(tag, end, 0);
  }

  private skipValue(tag: number, end: number, depth: number): void {
    switch (tag & 7) {
      case 0:
        this.uint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.lengthEnd(end);
        return;
      case 5:
        this.pos += 4;
        break;
      case 3: {
        // Deprecated groups: skip fields until the matching end-group tag.
        if (depth >= MAX_GROUP_DEPTH) malformed(`groups nested deeper than ${MAX_GROUP_DEPTH} at byte ${this.pos}`);
        for (;;) {
          if (this.pos >= end) malformed(`unterminated group (field ${tag >>> 3}) at byte ${this.pos}`);
          const inner = this.uint();
          if ((inner & 7) === 4) {
            if (inner >>> 3 !== tag >>> 3) malformed(`end-group for field ${inner >>> 3} closes group ${tag >>> 3}`);
            return;
          }
          this.skipValue(inner, end, depth + 1);
        }
      }
      default:
        malformed(`unexpected ${WIRE_NAMES[tag & 7]} (field ${tag >>> 3}) at byte ${this.pos}`);
    }
    if (this.pos > end) malformed(`truncated field ${tag >>> 3} at byte ${this.pos}`);
  }

  /** Throws unless `tag` has the expected wire type. */
  expectWire(message: string, tag: number, wireType: number): void {
    if ((tag & 7) !== wireType) {
      malformed(`${message} field ${tag >>> 3} has wire type ${tag & 7}, expected ${wireType} at byte ${this.pos}`);
    }
  }

  /** Throws when the last field ran past the end of its enclosing message. */
  checkEnd(message: string, end: number): void {
    if (this.pos !== end) malformed(`${message} overruns its length at byte ${end}`);
  }
}
