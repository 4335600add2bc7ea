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

/** OTLP/JSON snake_case keys of the trace envelope (the camelCase ones are TRACE_NAMES'). */
export const TRACE_KEYS: JsonEnvelopeKeys = { resource: 'resource_spans', scope: 'scope_spans', items: 'spans' };
/** OTLP/JSON snake_case keys of the logs envelope (the camelCase ones are LOG_NAMES'). */
export const LOG_KEYS: JsonEnvelopeKeys = { resource: 'resource_logs', scope: 'scope_logs', items: 'log_records' };
