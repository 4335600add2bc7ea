/** Message names and JSON keys of each signal's export envelope (src/otlp/proto-envelope.ts, json-envelope.ts). */
import type { JsonEnvelopeKeys } from './json-envelope.js';
import type { EnvelopeNames } from './proto-envelope.js';

/** ExportTraceServiceRequest. */
export const TRACE_NAMES: EnvelopeNames = {
  request: 'ExportTraceServiceRequest',
  resource: 'ResourceSpans',
  scope: 'ScopeSpans',
  resourceKey: 'resourceSpans',
  scopeKey: 'scopeSpans',
  itemKey: 'spans',
  itemNoun: 'spans',
};

/** ExportLogsServiceRequest. */
export const LOG_NAMES: EnvelopeNames = {
  request: 'ExportLogsServiceRequest',
  resource: 'ResourceLogs',
  scope: 'ScopeLogs',
  resourceKey: 'resourceLogs',
  scopeKey: 'scopeLogs',
  itemKey: 'logRecords',
  itemNoun: 'log records',
};

/** OTLP/JSON keys of the trace envelope. */
export const TRACE_KEYS: JsonEnvelopeKeys = { resource: ['resourceSpans', 'resource_spans'], scope: ['scopeSpans', 'scope_spans'], items: ['spans', 'spans'] };
/** OTLP/JSON keys of the logs envelope. */
export const LOG_KEYS: JsonEnvelopeKeys = { resource: ['resourceLogs', 'resource_logs'], scope: ['scopeLogs', 'scope_logs'], items: ['logRecords', 'log_records'] };
