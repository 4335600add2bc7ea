/** Decoders of ExportLogsServiceRequest, protobuf and OTLP/JSON, over the envelope the trace decoders walk too. */
import type { DecodedLogs } from './log-types.js';
import type { DecodeLimits } from './types.js';
import { LOG_KEYS, LOG_NAMES } from './envelope-names.js';
import { walkJsonRequest } from './json-envelope.js';
import { readJsonLogRecord } from './json-log-record.js';
import { walkExportRequest, type DecodedItems } from './proto-envelope.js';
import { readLogRecord } from './proto-log-record.js';

function asLogs(d: DecodedItems<DecodedLogs['records'][number]>): DecodedLogs {
  const out: DecodedLogs = { records: d.items, rejected: d.rejected };
  if (d.truncatedStrings > 0) out.truncatedStrings = d.truncatedStrings;
  if (d.unknownFields !== undefined) out.unknownFields = d.unknownFields;
  return out;
}

/** Decodes a protobuf ExportLogsServiceRequest; throws AgtError (malformed / limit) for request-level problems only. */
export function decodeLogsRequest(bytes: Uint8Array, limits: DecodeLimits, nowMs: number = Date.now()): DecodedLogs {
  return asLogs(walkExportRequest(bytes, limits, nowMs, LOG_NAMES, readLogRecord));
}

/** Decodes an OTLP/JSON ExportLogsServiceRequest; throws AgtError (malformed / limit) for request-level problems only. */
export function decodeLogsRequestJson(body: string | Uint8Array, limits: DecodeLimits, nowMs: number = Date.now()): DecodedLogs {
  return asLogs(walkJsonRequest(body, limits, nowMs, LOG_NAMES, LOG_KEYS, readJsonLogRecord));
}
