/** OTLP/JSON decoding of one log record object. */
import type { OtlpLogRecord } from './log-types.js';
import type { JsonItemContext } from './json-envelope.js';
import { field, isObject, readAnyValue, readAttributes, readEnum, readId, readString, readTime, readUint } from './json-values.js';
import { checkLogIds, checkLogTimes, eventNameOf } from './log-checks.js';
import { SpanRejectError } from './span-checks.js';

const utf8 = new TextEncoder();
/** SeverityNumber names by number (logs.proto); numbers are accepted as well. */
const SEVERITIES = ['SEVERITY_NUMBER_UNSPECIFIED', ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((s) => ['', '2', '3', '4'].map((n) => `SEVERITY_NUMBER_${s}${n}`))];

/** Reads one log record object; throws SpanRejectError to refuse just this record. */
export function readJsonLogRecord(v: unknown, ctx: JsonItemContext): OtlpLogRecord {
  if (!isObject(v)) throw new SpanRejectError('malformed', 'log record must be an object');
  const st = ctx.st;
  const traceId = readId(field(v, 'traceId', 'trace_id'), 'traceId', 16, true);
  const spanId = readId(field(v, 'spanId', 'span_id'), 'spanId', 8, true);
  const timeUnixNano = readTime(field(v, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  const observedTimeUnixNano = readTime(field(v, 'observedTimeUnixNano', 'observed_time_unix_nano'), 'observedTimeUnixNano');
  checkLogTimes(timeUnixNano, observedTimeUnixNano, ctx.window);
  checkLogIds(traceId, spanId);
  const attributes = readAttributes(st, v.attributes, 'log record');
  const rawBody = v.body;
  const body = rawBody === undefined || rawBody === null ? null : readAnyValue(st, rawBody, 1);
  return {
    timeUnixNano,
    observedTimeUnixNano,
    severityNumber: readEnum(field(v, 'severityNumber', 'severity_number'), SEVERITIES, 'severityNumber'),
    severityText: readString(st, field(v, 'severityText', 'severity_text'), 'severityText'),
    body,
    attributes,
    droppedAttributesCount: readUint(field(v, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
    flags: readUint(v.flags, 'flags'),
    traceId,
    spanId,
    eventName: eventNameOf(readString(st, field(v, 'eventName', 'event_name'), 'eventName'), attributes),
    resource: ctx.resource,
    scope: ctx.scope,
    wireBytes: utf8.encode(JSON.stringify(v)).length,
  };
}
