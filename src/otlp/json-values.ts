/** OTLP/JSON field readers: key aliases, ids, int64 values, enums, AnyValue and attribute lists. */
import type { AttrValue, Attributes } from '../model/otlp-values.js';
import { checkAttributeCount, checkNesting, idKind, SpanRejectError } from './span-checks.js';
import { isWellFormedString, setOwn, truncateString } from './text.js';

type Json = Record<string, unknown>;

/** Per-request settings and counters for the JSON readers. */
export interface JsonState {
  maxAttributesPerSpan: number;
  maxAnyValueDepth: number;
  maxStringBytes: number;
  truncatedStrings: number;
}

/** obj[camel] ?? obj[snake]: OTLP/JSON uses lowerCamelCase, but protobuf JSON parsers accept the proto names too. */
export function field(obj: Json, camel: string, snake: string): unknown {
  const v = obj[camel];
  return v === undefined ? obj[snake] : v;
}

/** True for a non-null, non-array object. */
export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string field: absent → '', else a well-formed string cut to maxStringBytes. */
export function readString(st: JsonState, v: unknown, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new SpanRejectError('malformed', `${what} must be a string`);
  if (!isWellFormedString(v)) throw new SpanRejectError('utf8', `${what} is not valid UTF-8 (lone surrogate)`);
  const cut = truncateString(v, st.maxStringBytes);
  if (cut !== v) st.truncatedStrings++;
  return cut;
}

const HEX_ID = /^[0-9a-fA-F]*$/;

/** An id in hex (OTLP/JSON encodes trace and span ids as hex, not base64), checked for length and zero. */
export function readId(v: unknown, what: string, bytes: number, mayBeEmpty: boolean): string {
  const s = v === undefined || v === null ? '' : v;
  if (typeof s !== 'string' || !HEX_ID.test(s) || s.length % 2 !== 0) throw new SpanRejectError(idKind(what), `${what} must be a hex string`);
  if (s.length === 0 && mayBeEmpty) return '';
  if (s.length !== bytes * 2) {
    throw new SpanRejectError(idKind(what), `${what} is ${s.length / 2} bytes, expected ${bytes}${mayBeEmpty ? ' or empty' : ''}`);
  }
  if (/^0+$/.test(s)) throw new SpanRejectError(idKind(what), `${what} is all zero`);
  return s.toLowerCase();
}

const UINT64_MAX = (1n << 64n) - 1n;

/** An unsigned 64-bit nanosecond time given as a decimal string or a number. */
export function readTime(v: unknown, what: string): bigint {
  if (v === undefined || v === null) return 0n;
  let n: bigint;
  if (typeof v === 'string' && /^\d+$/.test(v)) n = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) n = BigInt(v);
  else throw new SpanRejectError('malformed', `${what} must be an unsigned integer (string or number)`);
  if (n > UINT64_MAX) throw new SpanRejectError('malformed', `${what} does not fit in 64 bits`);
  return n;
}

/** A small unsigned integer (counts, flags): number or decimal string. */
export function readUint(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new SpanRejectError('malformed', `${what} must be an unsigned integer`);
  return n;
}

/** An enum given as its number or its proto name (e.g. SPAN_KIND_SERVER); unknown numbers read as 0. */
export function readEnum(v: unknown, names: readonly string[], what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v >= 0 && v < names.length ? v : 0;
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    if (i >= 0) return i;
    if (/^\d+$/.test(v)) return readEnum(Number(v), names, what);
  }
  throw new SpanRejectError('malformed', `${what} ${JSON.stringify(v)} is not a known value`);
}

function readInt64(v: unknown): number | string {
  let n: bigint;
  if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^-?\d+$/.test(v)) n = BigInt(v);
  else throw new SpanRejectError('malformed', `intValue ${JSON.stringify(v)} is not an integer`);
  if (n !== BigInt.asIntN(64, n)) throw new SpanRejectError('malformed', `intValue ${v} does not fit in int64`);
  const num = Number(n);
  return Number.isSafeInteger(num) ? num : n.toString();
}

function readDouble(v: unknown): number {
  if (typeof v === 'number') return v;
  // proto3 JSON spells the non-finite doubles as strings; numeric strings are also allowed.
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new SpanRejectError('malformed', `doubleValue ${JSON.stringify(v)} is not a number`);
}

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** An AnyValue object; `depth` is 1 for an attribute's own value. */
export function readAnyValue(st: JsonState, v: unknown, depth: number): AttrValue {
  checkNesting(depth, st.maxAnyValueDepth);
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new SpanRejectError('malformed', 'AnyValue must be an object');
  let x: unknown;
  if ((x = field(v, 'stringValue', 'string_value')) !== undefined) return readString(st, x, 'stringValue');
  if ((x = field(v, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') throw new SpanRejectError('malformed', 'boolValue must be a boolean');
    return x;
  }
  if ((x = field(v, 'intValue', 'int_value')) !== undefined) return readInt64(x);
  if ((x = field(v, 'doubleValue', 'double_value')) !== undefined) return readDouble(x);
  if ((x = field(v, 'arrayValue', 'array_value')) !== undefined) {
    checkNesting(depth + 1, st.maxAnyValueDepth);
    const values = isObject(x) ? (x.values ?? []) : undefined;
    if (!Array.isArray(values)) throw new SpanRejectError('malformed', 'arrayValue.values must be an array');
    return values.map((e) => readAnyValue(st, e, depth + 1));
  }
  if ((x = field(v, 'kvlistValue', 'kvlist_value')) !== undefined) {
    checkNesting(depth + 1, st.maxAnyValueDepth);
    const values = isObject(x) ? (x.values ?? []) : undefined;
    if (!Array.isArray(values)) throw new SpanRejectError('malformed', 'kvlistValue.values must be an array');
    const out: Attributes = {};
    for (const kv of values) readKeyValueInto(st, kv, out, depth + 1);
    return out;
  }
  if ((x = field(v, 'bytesValue', 'bytes_value')) !== undefined) {
    if (typeof x !== 'string' || !BASE64.test(x)) throw new SpanRejectError('malformed', 'bytesValue must be base64');
    return new Uint8Array(Buffer.from(x, 'base64'));
  }
  return null;
}

function readKeyValueInto(st: JsonState, kv: unknown, target: Attributes, depth: number): void {
  if (!isObject(kv)) throw new SpanRejectError('malformed', 'attribute must be an object with key and value');
  setOwn(target, readString(st, kv.key, 'attribute key'), readAnyValue(st, kv.value, depth));
}

/** An attribute list (array of KeyValue) of a span, event, link, scope or resource. */
export function readAttributes(st: JsonState, v: unknown, owner: string): Attributes {
  const out: Attributes = {};
  if (v === undefined || v === null) return out;
  if (!Array.isArray(v)) throw new SpanRejectError('malformed', `${owner} attributes must be an array`);
  checkAttributeCount(v.length, st.maxAttributesPerSpan, owner);
  for (const kv of v) readKeyValueInto(st, kv, out, 1);
  return out;
}
