/** Typed reads of attribute values through alias lists (first present name wins). */
import type { AttrValue, Attributes } from '../model/otlp-values.js';
import { noneOnSpan } from './span-keys.js';

/** A non-empty string for the first present alias (numbers are stringified: ids are sometimes ints). */
export function readString(attrs: Attributes, names: readonly string[]): string | null {
  if (noneOnSpan(attrs, names)) return null;
  for (const name of names) {
    const v = attrs[name];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return null;
}

/** A finite number for the first present alias; numeric strings (int64 beyond 2^53, JSON exporters) count. */
export function readNumber(attrs: Attributes, names: readonly string[]): number | null {
  if (noneOnSpan(attrs, names)) return null;
  for (const name of names) {
    const n = toNumber(attrs[name]);
    if (n !== null) return n;
  }
  return null;
}

/** A finite number from an attribute value, or null. */
export function toNumber(v: AttrValue | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A plain JSON object parsed from a string attribute (Langfuse usage/cost details), or null. */
export function readJsonObject(attrs: Attributes, names: readonly string[]): Record<string, unknown> | null {
  if (noneOnSpan(attrs, names)) return null;
  for (const name of names) {
    const v = attrs[name];
    if (typeof v !== 'string') continue;
    try {
      const parsed: unknown = JSON.parse(v);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // A malformed details string is ignored like a missing one: the span itself is still valid.
    }
  }
  return null;
}

/** The first finite number among `keys` of a parsed JSON object. */
export function jsonNumber(obj: Record<string, unknown>, keys: readonly string[]): number | null {
  for (const k of keys) {
    const v = obj[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}
