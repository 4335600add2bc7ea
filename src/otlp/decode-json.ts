/**
 * Decoder for OTLP/JSON ExportTraceServiceRequest bodies (lowerCamelCase or snake_case keys, hex ids,
 * int64 as strings or numbers, enums as numbers or names, bytes as base64).
 */
import type { DecodedExport, DecodeLimits } from './types.js';
import { walkJsonRequest } from './json-envelope.js';
import { TRACE_KEYS, TRACE_NAMES } from './envelope-names.js';
import { readJsonSpan } from './json-span.js';


/** Decodes an OTLP/JSON ExportTraceServiceRequest; throws AgtError (malformed / limit) for request-level problems only. */
export function decodeExportRequestJson(body: string | Uint8Array, limits: DecodeLimits, nowMs: number = Date.now()): DecodedExport {
  const d = walkJsonRequest(body, limits, nowMs, TRACE_NAMES, TRACE_KEYS, (v, ctx) => readJsonSpan(v, { st: ctx.st, maxEventsPerSpan: limits.maxEventsPerSpan, window: ctx.window, resource: ctx.resource, scope: ctx.scope }));
  const out: DecodedExport = { spans: d.items, rejected: d.rejected };
  if (d.truncatedStrings > 0) out.truncatedStrings = d.truncatedStrings;
  if (d.unknownFields !== undefined) out.unknownFields = d.unknownFields;
  return out;
}
