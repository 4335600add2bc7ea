/**
 * The worker side of span transfer (src/receive/span-transfer.ts): the fixed layout a decode worker's spans travel in,
 * and its writer. One ArrayBuffer per trace request, handed to postMessage's transfer list.
 *
 * Layout (the header gives every length; the buffer is exactly as long as they add up to):
 *   header   8 × u32: magic, strings, main words, f64s, u64s, string bytes, raw bytes, 0
 *   f64      numbers but small integers, in order  u64   every bigint time, in the order read
 *   meta     u32 per string table entry: byte length × 4 + encoding (ASCII, UTF-8, UTF-16)
 *   main     u32 words: string refs, flags, counts, small integers, attribute value tags, in the order read
 *   strings  the string table's bytes               raw   Uint8Array attribute values
 * The order of fields is fixed by the code (no keys, no tag per fixed field); attributes, events, links, evals and
 * string lists are counted sections. Each stream is its own typed array, so a read is one indexed load. Strings are
 * deduplicated per buffer, so the main thread decodes each once; resource attributes objects and string lists that
 * spans share are written once, to be shared again on decode; NO_PROVIDER_CALL and the shared empty list are flagged.
 */
import { NO_PROVIDER_CALL } from '../conventions/provider-call.js';
import type { AttrValue, Attributes } from '../model/otlp-values.js';
import { USAGE_FIELDS, type NormalizedSpan, type ProviderCall } from '../model/span.js';
import { isWellFormedString } from '../otlp/text.js';
import type { SpanRejection } from '../otlp/types.js';
import type { TransferredSpans } from './span-transfer.js';

/** Buffer's native codecs, called directly to skip toString's / write's argument normalisation (as otlp/text.ts). */
export type NativeBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  ucs2Slice(start: number, end: number): string;
  utf8Write(s: string, offset: number, length: number): number;
  ucs2Write(s: string, offset: number, length: number): number;
};

/** The layout's constants (one object: a reader copies them into its own module constants, see span-transfer.ts). */
export const LAYOUT = {
  MAGIC: 0x41475431,
  HEADER_WORDS: 8,
  // String table encodings. UTF-16 is for strings with lone surrogates, which UTF-8 cannot carry (no decoder makes them).
  ASCII: 0,
  UTF8: 1,
  UTF16: 2,
  // Attribute value word: the tag in the low 3 bits, a string ref, count or byte length above.
  T_STR: 0,
  T_NUM: 1,
  T_TRUE: 2,
  T_FALSE: 3,
  T_NULL: 4,
  T_BYTES: 5,
  T_ARR: 6,
  T_OBJ: 7,
  // An optional field is absent, present as undefined, null, or a value: 2 bits in its flags word.
  ABSENT: 0,
  UNDEF: 1,
  NULL: 2,
  VALUE: 3,
  // Span flags word: kind in bits 0–2, status code in 3–4, these flags, then the optional fields' states at S_*.
  F_ERROR: 1 << 5,
  F_USAGE: 1 << 6,
  F_NO_CALL: 1 << 7,
  F_COST_NULL: 1 << 8,
  S_TOOL_ARGS: 9,
  S_HTTP: 11,
  S_WIRE_OFFSET: 13,
  S_DETAIL_AT: 15,
  S_CATALOG_MODEL: 17,
  S_INCOMPLETE: 19,
  S_OVERSTATED: 21,
  S_UNREPORTED: 23,
  /** Fewest main words a span takes, to check a span count against the words left. */
  MIN_SPAN_WORDS: 35,
} as const;

const { MAGIC, HEADER_WORDS, ASCII, UTF8, UTF16, T_STR, T_NUM, T_TRUE, T_FALSE, T_NULL, T_BYTES, T_ARR, T_OBJ, ABSENT, UNDEF, NULL, VALUE } = LAYOUT;
const { F_ERROR, F_USAGE, F_NO_CALL, F_COST_NULL, S_TOOL_ARGS, S_HTTP, S_WIRE_OFFSET, S_DETAIL_AT, S_CATALOG_MODEL, S_INCOMPLETE, S_OVERSTATED, S_UNREPORTED } = LAYOUT;
const MAX_PAYLOAD = 2 ** 29;
/** Usage in the key order of conventions/usage.ts. */
/** Past this much scratch, the writer is replaced after its encode, so one huge request does not pin it. */
const MAX_KEPT_SCRATCH_BYTES = 8 * 1024 * 1024; // 8 MiB

/** Throws the codec's Error. */
export function fail(what: string): never {
  throw new Error(`span-transfer: ${what}`);
}

/**
 * Integers travel in the main stream so the reader makes them small integers (V8 Smis), as the decoders do: read from
 * a Float64Array they would come back boxed, each a heap number, and make the fields that hold them doubles.
 */
const isSmallUint = (v: number, limit: number): boolean => Number.isInteger(v) && v >= 0 && v < limit && !Object.is(v, -0);

const stateOf = (o: object, key: string, v: unknown): number => (v === undefined ? (key in o ? UNDEF : ABSENT) : v === null ? NULL : VALUE);

/** Growable streams, reused across calls (a worker encodes one request at a time, synchronously). */
class Writer {
  u32 = new Uint32Array(1 << 14);
  n32 = 0;
  f64 = new Float64Array(1 << 11);
  nf = 0;
  u64 = new BigUint64Array(1 << 11);
  n64 = 0;
  meta = new Uint32Array(1 << 11);
  chars = Buffer.allocUnsafe(1 << 16) as NativeBuffer;
  nc = 0;
  raw = new Uint8Array(1 << 10);
  nr = 0;
  readonly strings = new Map<string, number>();
  readonly resources = new Map<Attributes, number>();
  readonly lists = new Map<readonly string[], number>();

  w(v: number): void {
    if (this.n32 === this.u32.length) this.u32 = grow(this.u32, 0);
    this.u32[this.n32++] = v;
  }

  /** A number: an integer in [0, 2^31) as one main word (× 2), else the word 1 and the value in the f64 stream. */
  num(v: number): void {
    if (isSmallUint(v, 2 ** 31)) return this.w(v * 2);
    this.w(1);
    this.f64v(v);
  }

  f64v(v: number): void {
    if (this.nf === this.f64.length) this.f64 = grow(this.f64, 0);
    this.f64[this.nf++] = v;
  }

  time(v: bigint): void {
    if (v < 0n || v > 0xffffffffffffffffn) fail(`time ${v} does not fit 64 unsigned bits`);
    if (this.n64 === this.u64.length) this.u64 = grow(this.u64, 0);
    this.u64[this.n64++] = v;
  }

  /** The string's table index, added on first use. */
  ref(s: string): number {
    const i = this.strings.get(s);
    return i === undefined ? this.add(s) : i;
  }

  /** Writes each string's ref. */
  strs(...xs: string[]): void {
    for (const x of xs) this.w(this.ref(x));
  }

  /** Writes 0 for null, else the ref + 1. */
  nstrs(...xs: (string | null)[]): void {
    for (const x of xs) this.w(x === null ? 0 : this.ref(x) + 1);
  }

  private add(s: string): number {
    if (typeof s !== 'string') fail(`${typeof s} where a string belongs`);
    const i = this.strings.size;
    this.strings.set(s, i);
    if (this.nc + s.length * 3 > this.chars.length) {
      // Not `grow`: a Buffer's constructor is the deprecated Buffer().
      const next = Buffer.allocUnsafe(Math.max(this.chars.length * 2, this.nc + s.length * 3)) as NativeBuffer;
      this.chars.copy(next, 0, 0, this.nc);
      this.chars = next;
    }
    let n = this.chars.utf8Write(s, this.nc, s.length * 3);
    let enc: number = ASCII;
    // UTF-8 takes one byte per UTF-16 unit only for ASCII; anything else takes more.
    if (n !== s.length) {
      enc = UTF8;
      if (!isWellFormedString(s)) [n, enc] = [this.chars.ucs2Write(s, this.nc, s.length * 2), UTF16];
    }
    if (n >= 2 ** 30) fail('string of 1 GiB or more');
    if (i === this.meta.length) this.meta = grow(this.meta, 0);
    this.meta[i] = n * 4 + enc;
    this.nc += n;
    return i;
  }

  bytes(b: Uint8Array): void {
    if (this.nr + b.length > this.raw.length) this.raw = grow(this.raw, this.nr + b.length);
    this.raw.set(b, this.nr);
    this.nr += b.length;
  }

  reset(): void {
    this.n32 = this.nf = this.n64 = this.nc = this.nr = 0;
    this.strings.clear();
    this.resources.clear();
    this.lists.clear();
  }
}

type Stream = Uint32Array | Float64Array | BigUint64Array | Uint8Array;
/** A copy of `a` at least twice as long (and at least `min`). */
function grow<T extends Stream>(a: T, min: number): T {
  const next = new (a.constructor as new (n: number) => T)(Math.max(a.length * 2, min));
  next.set(a as never);
  return next;
}

let writer = new Writer();

/** One fresh ArrayBuffer (its byteLength is exactly the encoded size), for postMessage's transfer list. */
export function encodeTransferredSpans(batch: TransferredSpans): ArrayBuffer {
  const w = writer;
  w.reset();
  try {
    const flags = stateOf(batch, 'truncatedStrings', batch.truncatedStrings) | (stateOf(batch, 'unknownFields', batch.unknownFields) << 2);
    w.w(flags);
    w.num(batch.received);
    if ((flags & 3) === VALUE) w.num(batch.truncatedStrings!);
    if (flags >> 2 === VALUE) {
      w.w(batch.unknownFields!.fields.length);
      w.strs(...batch.unknownFields!.fields, batch.unknownFields!.message);
    }
    w.w(batch.rejected.length);
    // Rejections are rare and built in more than one key order: written with their keys.
    for (const r of batch.rejected) {
      const keys = Object.keys(r) as (keyof SpanRejection)[];
      w.w(keys.length);
      for (const k of keys) w.strs(k, r[k]);
    }
    w.w(batch.spans.length);
    for (const s of batch.spans) writeSpan(w, s);
    return finish(w);
  } finally {
    w.reset();
    if (w.u32.byteLength + w.f64.byteLength + w.u64.byteLength + w.meta.byteLength + w.chars.length + w.raw.length > MAX_KEPT_SCRATCH_BYTES) writer = new Writer();
  }
}

function finish(w: Writer): ArrayBuffer {
  const strings = w.strings.size;
  const out = new ArrayBuffer(HEADER_WORDS * 4 + w.nf * 8 + w.n64 * 8 + strings * 4 + w.n32 * 4 + w.nc + w.nr);
  new Uint32Array(out, 0, HEADER_WORDS).set([MAGIC, strings, w.n32, w.nf, w.n64, w.nc, w.nr, 0]);
  let at = HEADER_WORDS * 4;
  const put = (to: Stream, from: Stream): void => {
    to.set(from as never);
    at += to.byteLength;
  };
  put(new Float64Array(out, at, w.nf), w.f64.subarray(0, w.nf));
  put(new BigUint64Array(out, at, w.n64), w.u64.subarray(0, w.n64));
  put(new Uint32Array(out, at, strings), w.meta.subarray(0, strings));
  put(new Uint32Array(out, at, w.n32), w.u32.subarray(0, w.n32));
  put(new Uint8Array(out, at, w.nc), w.chars.subarray(0, w.nc));
  put(new Uint8Array(out, at, w.nr), w.raw.subarray(0, w.nr));
  return out;
}

function writeSpan(w: Writer, s: NormalizedSpan): void {
  const c = s.cost;
  if (!(s.kind >= 0 && s.kind <= 5 && s.statusCode >= 0 && s.statusCode <= 2)) fail(`kind ${s.kind} / status ${s.statusCode} out of range`);
  const toolArgs = stateOf(s, 'toolArgsHash', s.toolArgsHash);
  const http = stateOf(s, 'httpStatus', s.httpStatus);
  const wireOffset = stateOf(s, 'wireOffset', s.wireOffset);
  const detailAt = stateOf(s, 'detailAt', s.detailAt);
  const catalogModel = stateOf(c, 'catalogModel', c.catalogModel);
  const incomplete = stateOf(c, 'usageIncomplete', c.usageIncomplete);
  const overstated = stateOf(c, 'overstatedUpToUsd', c.overstatedUpToUsd);
  const unreported = stateOf(c, 'cacheUnreportedInputTokens', c.cacheUnreportedInputTokens);
  w.w(
    s.kind | (s.statusCode << 3) | (s.isError ? F_ERROR : 0) | (s.usage !== null ? F_USAGE : 0) | (s.call === NO_PROVIDER_CALL ? F_NO_CALL : 0) | (c.costUsd === null ? F_COST_NULL : 0) |
      (toolArgs << S_TOOL_ARGS) | (http << S_HTTP) | (wireOffset << S_WIRE_OFFSET) | (detailAt << S_DETAIL_AT) |
      (catalogModel << S_CATALOG_MODEL) | (incomplete << S_INCOMPLETE) | (overstated << S_OVERSTATED) | (unreported << S_UNREPORTED),
  );
  w.strs(s.tenantId, s.traceId, s.spanId, s.parentSpanId, s.traceState, s.name);
  w.time(s.startTimeUnixNano);
  w.time(s.endTimeUnixNano);
  w.strs(s.statusMessage, s.serviceName);
  const res = w.resources.get(s.resourceAttributes);
  w.w(res ?? w.resources.size);
  if (res === undefined) {
    w.resources.set(s.resourceAttributes, w.resources.size);
    writeAttrs(w, s.resourceAttributes);
  }
  w.strs(s.scopeName, s.scopeVersion);
  writeAttrs(w, s.attributes);
  // Lists are walked by index: a for-of over a frozen list (the shared empty one) allocates an iterator per span.
  w.w(listHead(s.events));
  for (let i = 0; i < s.events.length; i++) {
    const e = s.events[i]!;
    w.time(e.timeUnixNano);
    w.strs(e.name);
    writeAttrs(w, e.attributes);
  }
  w.w(listHead(s.links));
  for (let i = 0; i < s.links.length; i++) {
    const l = s.links[i]!;
    w.strs(l.traceId, l.spanId, l.traceState);
    writeAttrs(w, l.attributes);
  }
  const g = s.genai;
  w.nstrs(g.operation, g.provider, g.requestModel, g.responseModel, g.agentName, g.agentId, g.toolName, g.toolCallId, g.toolType);
  writeList(w, g.conventions);
  w.nstrs(s.sessionId, s.userId);
  if (s.usage !== null) for (const f of USAGE_FIELDS) w.num(s.usage[f]);
  w.strs(s.usageRole);
  writeList(w, s.usageMissing);
  writeList(w, s.usageViolations);
  if (c.costUsd !== null) w.num(c.costUsd);
  w.strs(c.source, c.priceVersion);
  // The type gives these strings no null: a null one is refused (`add`) rather than written as something else.
  if (catalogModel >= NULL) w.strs(c.catalogModel!);
  if (incomplete >= NULL) w.strs(c.usageIncomplete!);
  if (overstated === VALUE) w.num(c.overstatedUpToUsd!);
  if (unreported === VALUE) w.num(c.cacheUnreportedInputTokens!);
  w.nstrs(s.errorType);
  if (toolArgs === VALUE) w.num(s.toolArgsHash!);
  if (http === VALUE) w.num(s.httpStatus!);
  if (s.call !== NO_PROVIDER_CALL) writeCall(w, s.call);
  w.w(listHead(s.evals));
  for (let i = 0; i < s.evals.length; i++) {
    const e = s.evals[i]!;
    w.w(e.score === null ? 1 : 0);
    w.strs(e.name);
    if (e.score !== null) w.num(e.score);
    w.nstrs(e.label, e.explanation, e.target.sessionId, e.target.traceId, e.target.spanId);
    w.strs(e.source);
    w.time(e.timeUnixNano);
  }
  w.num(s.wireBytes);
  if (wireOffset === VALUE) w.num(s.wireOffset!);
  if (detailAt === VALUE) w.num(s.detailAt!);
}

function writeCall(w: Writer, c: ProviderCall): void {
  w.w((c.ttftMs === null ? 1 : 0) | (c.httpStatus === null ? 2 : 0) | (c.retryAfterMs === null ? 4 : 0));
  w.strs(c.serverAddress);
  w.num(c.serverPort);
  w.strs(c.region, c.regionSource);
  w.nstrs(c.hostProvider);
  if (c.ttftMs !== null) w.num(c.ttftMs);
  w.nstrs(c.refusal);
  if (c.httpStatus !== null) w.num(c.httpStatus);
  if (c.retryAfterMs !== null) w.num(c.retryAfterMs);
}

/** A list's count × 2, + 1 when it is frozen (the shared empty list of otlp/types.ts `shareEmpty`, shared lists). */
function listHead(xs: readonly unknown[]): number {
  if (xs.length >= 2 ** 31) fail('list too long');
  return xs.length * 2 + (Object.isFrozen(xs) ? 1 : 0);
}

/** A string list, written once per distinct array (normalization shares its convention lists between spans). */
function writeList(w: Writer, xs: readonly string[]): void {
  const i = w.lists.get(xs);
  w.w(i ?? w.lists.size);
  if (i !== undefined) return;
  w.lists.set(xs, w.lists.size);
  w.w(listHead(xs));
  for (const x of xs) w.strs(x);
}

function writeAttrs(w: Writer, a: Attributes): void {
  const keys = Object.keys(a);
  w.w(keys.length);
  for (const k of keys) {
    w.strs(k);
    writeValue(w, a[k]!);
  }
}

function writeValue(w: Writer, v: AttrValue): void {
  if (typeof v === 'string') w.w(payload(w.ref(v)) | T_STR);
  else if (typeof v === 'number') {
    // As `num`, in the tag word's payload: an integer under 2^28 × 2, else 1 and the value in the f64 stream.
    if (isSmallUint(v, 2 ** 28)) w.w(v * 16 + T_NUM);
    else {
      w.w(8 + T_NUM);
      w.f64v(v);
    }
  } else if (typeof v === 'boolean') w.w(v ? T_TRUE : T_FALSE);
  else if (v === null) w.w(T_NULL);
  else if (v instanceof Uint8Array) {
    w.w(payload(v.length) | T_BYTES);
    w.bytes(v);
  } else if (Array.isArray(v)) {
    w.w(payload(v.length) | T_ARR);
    for (const x of v) writeValue(w, x);
  } else if (typeof v === 'object') {
    const keys = Object.keys(v);
    w.w(payload(keys.length) | T_OBJ);
    for (const k of keys) {
      w.strs(k);
      writeValue(w, v[k]!);
    }
  } else fail(`attribute value of type ${typeof v}`);
}

function payload(n: number): number {
  if (n >= MAX_PAYLOAD) fail('more than 2^29 strings or values');
  return n * 8;
}

