/** The text a hash rule hashes for a value, the same whichever encoding (protobuf, OTLP/JSON) carried a scalar. */
import type { AttrValue } from '../model/otlp-values.js';

/** Strings as they are, numbers and booleans in decimal / `true` / `false`, anything else as JSON (bytes in base64). */
export function hashText(v: AttrValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('base64') : x));
}
