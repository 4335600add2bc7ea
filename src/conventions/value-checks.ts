/**
 * Checks of the numbers a span brings into typed columns, against the column and a plausibility ceiling
 * (docs/storage.md, "Values checked before a span is accepted"). A value that fails refuses the span through
 * partial_success (SpanRejectError): no honest client sends it, and any repair would be a guess that reaches the bill.
 */
import type { AttrValue, Attributes } from '../model/otlp-values.js';
import { SpanRejectError } from '../otlp/span-checks.js';
import { noneOnSpan } from './span-keys.js';
import { toNumber } from './read-attr.js';

/**
 * Most tokens one span may report in one field. The largest context windows are ~10^7 tokens; 10^9 leaves two orders
 * of magnitude, and keeps any session's sum far inside UInt64 (and its cost inside Decimal(38, 12)).
 */
export const MAX_TOKENS_PER_SPAN = 1_000_000_000;

/** Most USD one span may report as its own cost (10^9 tokens at the dearest catalog prices stays below it). */
export const MAX_COST_PER_SPAN_USD = 1_000_000;

/** True when an attribute carries a value (an empty string or null is no value, as for every alias read). */
function present(v: AttrValue | undefined): v is AttrValue {
  return v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');
}

/** The value as the error message shows it (bounded, so a huge string cannot bloat the answer). */
function shown(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : v instanceof Uint8Array ? `<${v.byteLength} bytes>` : typeof v === 'object' && v !== null ? JSON.stringify(v) ?? String(v) : String(v);
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

/** `n` as a token count of `name`; throws SpanRejectError unless it is an integer in [0, MAX_TOKENS_PER_SPAN]. */
export function checkTokenCount(name: string, raw: unknown, n: number | null): number {
  if (n === null || !Number.isInteger(n) || n < 0) {
    throw new SpanRejectError('usage', `attribute ${name} = ${shown(raw)} is not a token count (a non-negative integer)`);
  }
  if (n > MAX_TOKENS_PER_SPAN) {
    throw new SpanRejectError('usage', `attribute ${name} = ${shown(raw)} is implausible: above the ceiling of ${MAX_TOKENS_PER_SPAN} tokens per span`);
  }
  return n;
}

/** `n` as a reported cost of `name`; throws SpanRejectError unless it is a finite number in [0, MAX_COST_PER_SPAN_USD]. */
export function checkCostUsd(name: string, raw: unknown, n: number | null): number {
  if (n === null || !Number.isFinite(n) || n < 0) {
    throw new SpanRejectError('cost', `attribute ${name} = ${shown(raw)} is not a cost (a finite, non-negative number of USD)`);
  }
  if (n > MAX_COST_PER_SPAN_USD) {
    throw new SpanRejectError('cost', `attribute ${name} = ${shown(raw)} is implausible: above the ceiling of ${MAX_COST_PER_SPAN_USD} USD per span`);
  }
  return n;
}

/** The token count under the first present alias (null when none is present); a present value that fails refuses the span. */
export function readTokenCount(attrs: Attributes, names: readonly string[]): number | null {
  if (noneOnSpan(attrs, names)) return null;
  for (const name of names) {
    const v = attrs[name];
    if (present(v)) return checkTokenCount(name, v, toNumber(v));
  }
  return null;
}

/** The reported cost under the first present alias (null when none is present); a present value that fails refuses the span. */
export function readCostUsd(attrs: Attributes, names: readonly string[]): number | null {
  if (noneOnSpan(attrs, names)) return null;
  for (const name of names) {
    const v = attrs[name];
    if (present(v)) return checkCostUsd(name, v, toNumber(v));
  }
  return null;
}

/** A key of a parsed JSON details object (Langfuse usage/cost details) as a checked number; null when absent. */
export function jsonChecked(obj: Record<string, unknown>, keys: readonly string[], where: string, check: (name: string, raw: unknown, n: number | null) => number): number | null {
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || v === null) continue;
    return check(`${where}.${k}`, v, typeof v === 'number' ? v : null);
  }
  return null;
}
