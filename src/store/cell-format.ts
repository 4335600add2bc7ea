/** Conversions from agenttail values to ClickHouse JSONEachRow cells. */
import type { AttrValue, Attributes, SpanKindNumber, StatusCodeNumber } from '../otlp/types.js';

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
  for (const [k, v] of Object.entries(attrs)) out[k] = attrToString(v);
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
  const s = usd.toFixed(COST_SCALE);
  const neg = s.startsWith('-');
  const [int = '0', frac = ''] = (neg ? s.slice(1) : s).split('.');
  const units = BigInt(int) * SCALE + BigInt(frac.padEnd(COST_SCALE, '0'));
  return neg ? -units : units;
}

/** A Decimal(38, 12) cell (a string, so no float rounding happens on the way) from units of 1e-12. */
export function unitsCell(units: bigint): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const int = abs / SCALE;
  const frac = (abs % SCALE).toString().padStart(COST_SCALE, '0');
  return `${neg ? '-' : ''}${int.toString()}.${frac}`;
}

/** A Decimal(38, 12) cell from a USD number. */
export function costCell(usd: number): string {
  return unitsCell(costUnits(usd));
}

/** Units of 1e-12 USD from a decimal text as ClickHouse prints a Decimal(38, 12) ("-1.5", "0.000000000001"); null when not one. */
export function decimalUnits(text: string): bigint | null {
  const m = /^(-?)(\d+)(?:\.(\d{1,12}))?$/.exec(text.trim());
  if (m === null) return null;
  const units = BigInt(m[2]!) * SCALE + BigInt((m[3] ?? '').padEnd(COST_SCALE, '0'));
  return m[1] === '-' ? -units : units;
}
