/**
 * Decoder for protobuf ExportTraceServiceRequest (opentelemetry-proto collector/trace/v1), written
 * against the wire format directly: bench/decode.ts measures it against protobufjs.
 */
import type { DecodedExport, DecodeLimits } from './types.js';
import { walkExportRequest } from './proto-envelope.js';
import { TRACE_NAMES } from './envelope-names.js';
import { readSpan } from './proto-span.js';
import type { AttrFilter } from './proto-attributes.js';

/**
 * Decodes a protobuf ExportTraceServiceRequest; throws AgtError (malformed / limit) for request-level problems only.
 * With `filter`, spans build only the attributes it wants (proto-attributes.ts), the rest is checked and left in the bytes.
 */
export function decodeExportRequest(bytes: Uint8Array, limits: DecodeLimits, nowMs: number = Date.now(), filter?: AttrFilter): DecodedExport {
  const d = walkExportRequest(bytes, limits, nowMs, TRACE_NAMES, readSpan, filter);
  const out: DecodedExport = { spans: d.items, rejected: d.rejected };
  if (d.truncatedStrings > 0) out.truncatedStrings = d.truncatedStrings;
  return out;
}
