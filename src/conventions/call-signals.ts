/** Per-call signals the detectors compare spans by: a hash of a tool call's arguments, the HTTP status of a request. */
import type { Attributes } from '../model/otlp-values.js';
import { ALIASES } from './aliases.js';
import { readNumber, readString } from './read-attr.js';

/**
 * 32-bit FNV-1a over the UTF-16 code units of a tool call's arguments, or null when the span carries none. Equal
 * argument texts give equal hashes; a collision (2^-32 per pair) at worst merges two calls of one tool.
 */
export function toolArgsHashOf(attrs: Attributes, isTool: boolean): number | null {
  if (!isTool) return null;
  const args = readString(attrs, ALIASES.toolArgs);
  if (args === null) return null;
  let h = 0x811c9dc5;
  for (let i = 0; i < args.length; i++) {
    h ^= args.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The HTTP response status of a request span, or null (only integral codes 100..599 count). */
export function httpStatusOf(attrs: Attributes): number | null {
  const n = readNumber(attrs, ALIASES.httpStatus);
  return n !== null && Number.isInteger(n) && n >= 100 && n <= 599 ? n : null;
}
