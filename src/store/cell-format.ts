/** Conversions from agenttail values to ClickHouse JSON cells (the values of a row's line, row-format.ts). */
import type { AttrValue, Attributes, SpanKindNumber, StatusCodeNumber } from '../model/otlp-values.js';

const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
] as const;
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;

/** The OTel exporter's SpanKind string for an OTLP kind number. */
export function spanKindString(kind: SpanKindNumber): string {
  return SPAN_KINDS[kind] ?? 'SPAN_KIND_UNSPECIFIED';
}

/** The OTel exporter's StatusCode string for an OTLP status number. */
export function statusCodeString(code: StatusCodeNumber): string {
  return STATUS_CODES[code] ?? 'STATUS_CODE_UNSET';
}

function jsonable(v: AttrValue): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(jsonable);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = jsonable(x);
    return o;
  }
  return v;
}

/** One attribute value as a Map(String, String) cell: strings as is, scalars printed, the rest as JSON. */
export function attrToString(v: AttrValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return JSON.stringify(jsonable(v));
}

/** Attributes as a Map(LowCardinality(String), String) cell. */
export function attrsToMap(attrs: Attributes): Record<string, string> {
  const out: Record<string, string> = {};
  // for-in, not Object.entries: no [key, value] array per attribute.
  for (const k in attrs) if (Object.hasOwn(attrs, k)) out[k] = attrToString(attrs[k]!);
  return out;
}

/** A DateTime64(9) cell: ClickHouse parses a decimal integer string as nanoseconds since the epoch. */
export function nsCell(ns: bigint): string {
  return ns.toString();
}

/** Fractional digits of the Decimal(38, 12) cost columns. */
export const COST_SCALE = 12;
const SCALE = 10n ** BigInt(COST_SCALE);

/** A USD amount as integer units of 1e-12 (what Decimal(38, 12) stores), rounded half away from zero by toFixed. */
export function costUnits(usd: number): bigint {
  if (!Number.isFinite(usd)) return 0n;
  // toFixed(12) always prints 12 fractional digits: the units are its digits without the point ("-0.5…" → -5…).
  const s = usd.toFixed(COST_SCALE);
  const point = s.length - COST_SCALE - 1;
  return BigInt(s.slice(0, point) + s.slice(point + 1));
}

/** Below this, |usd| × 1e12 is a double whose error is under 2^-53 of it, and sums of such integers stay exact. */
const EXACT_UNITS = 2 ** 52;

/**
 * `costUnits(usd)` as a number, without a string or a bigint, when the product |usd| × 1e12 is below 2^52 and not
 * within its rounding error of a half unit (there toFixed's exact rounding and Math.round's could differ); else null.
 */
export function smallCostUnits(usd: number): number | null {
  const x = Math.abs(usd) * 1e12;
  if (!(x < EXACT_UNITS)) return null; // also NaN and ±Infinity
  const units = Math.round(x);
  // x - units is exact (Sterbenz); x is within x·2^-53 of the true product, so away from a tie both round alike.
  if (0.5 - Math.abs(x - units) <= x * 2 ** -52) return null;
  return usd < 0 ? -units : units;
}

/** A sum of cost units: a number while exact, carried into `big` before it could lose a unit. */
export interface UnitSum {
  big: bigint;
  small: number;
}

/** A new, zero UnitSum. */
export function unitSum(): UnitSum {
  return { big: 0n, small: 0 };
}

/** Adds `costUnits(usd)` to `sum` (per span: a number add unless the amount is huge or on a rounding tie). */
export function addCostUnits(sum: UnitSum, usd: number): void {
  const units = smallCostUnits(usd);
  if (units === null) {
    sum.big += costUnits(usd);
    return;
  }
  // |small| < 2^52 and |units| < 2^52 before the add: the integer sum is exact, then carried past 2^52.
  sum.small += units;
  if (sum.small >= EXACT_UNITS || sum.small <= -EXACT_UNITS) {
    sum.big += BigInt(sum.small);
    sum.small = 0;
  }
}

/** The units a UnitSum holds. */
export function unitSumUnits(sum: UnitSum): bigint {
  return sum.big + BigInt(sum.small);
}

/** A Decimal(38, 12) cell (a string, so no float rounding happens on the way) from units of 1e-12. */
export function unitsCell(units: bigint): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const int = abs / SCALE;
  const frac = (abs % SCALE).toString().padStart(COST_SCALE, '0');
  return `${neg ? '-' : ''}${int.toString()}.${frac}`;
}

const ZERO_CELL = unitsCell(0n);
/** Magnitude from which toFixed prints an exponent (the BigInt path then throws, as it always did). */
const TO_FIXED_LIMIT = 1e21;

/** A Decimal(38, 12) cell from a USD number: `unitsCell(costUnits(usd))`, without the round trip through a bigint. */
export function costCell(usd: number): string {
  if (!Number.isFinite(usd)) return ZERO_CELL;
  if (Math.abs(usd) >= TO_FIXED_LIMIT) return unitsCell(costUnits(usd));
  const s = usd.toFixed(COST_SCALE);
  // A negative amount that rounds to zero units prints "-0.000000000000"; as units it is 0.
  return s.charCodeAt(0) === 45 /* - */ && s === `-${ZERO_CELL}` ? ZERO_CELL : s;
}

/** Units of 1e-12 USD from a decimal text as ClickHouse prints a Decimal(38, 12) ("-1.5", "0.000000000001"); null when not one. */
export function decimalUnits(text: string): bigint | null {
  const m = /^(-?)(\d+)(?:\.(\d{1,12}))?$/.exec(text.trim());
  if (m === null) return null;
  const units = BigInt(m[2]!) * SCALE + BigInt((m[3] ?? '').padEnd(COST_SCALE, '0'));
  return m[1] === '-' ? -units : units;
}
