/** OTLP/JSON decoding of one span object with its events, links and status. */
import type { OtlpEvent, OtlpLink, OtlpResource, OtlpScope, SpanKindNumber, StatusCodeNumber } from '../model/otlp-values.js';
import type { OtlpSpan } from './types.js';
import { checkEventTimes, checkSpanTimes, SpanRejectError, type TimeWindowNs } from './span-checks.js';
import { field, isObject, readAttributes, readEnum, readId, readString, readTime, readUint, type JsonState } from './json-values.js';

const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'] as const;
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;
const utf8 = new TextEncoder();

/** Limits and shared objects a JSON span decode needs. */
export interface JsonSpanContext {
  st: JsonState;
  maxEventsPerSpan: number;
  window: TimeWindowNs;
  resource: OtlpResource;
  scope: OtlpScope;
}

/** Reads one span object; throws SpanRejectError to refuse just this span. */
export function readJsonSpan(v: unknown, ctx: JsonSpanContext): OtlpSpan {
  if (!isObject(v)) throw new SpanRejectError('malformed', 'span must be an object');
  const st = ctx.st;
  const traceId = readId(field(v, 'traceId', 'trace_id'), 'traceId', 16, false);
  const spanId = readId(field(v, 'spanId', 'span_id'), 'spanId', 8, false);
  const parentSpanId = readId(field(v, 'parentSpanId', 'parent_span_id'), 'parentSpanId', 8, true);
  const startTimeUnixNano = readTime(field(v, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
  const endTimeUnixNano = readTime(field(v, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano');
  checkSpanTimes(startTimeUnixNano, endTimeUnixNano, ctx.window);
  const events = readList(field(v, 'events', 'events'), 'events', ctx.maxEventsPerSpan, (e) => readEvent(st, e));
  checkEventTimes(events, ctx.window);
  const links = readList(field(v, 'links', 'links'), 'links', ctx.maxEventsPerSpan, (l) => readLink(st, l));
  const statusIn = field(v, 'status', 'status');
  let status: OtlpSpan['status'] = { code: 0, message: '' };
  if (statusIn !== undefined && statusIn !== null) {
    if (!isObject(statusIn)) throw new SpanRejectError('malformed', 'status must be an object');
    status = {
      code: readEnum(statusIn.code, STATUS_CODES, 'status.code') as StatusCodeNumber,
      message: readString(st, statusIn.message, 'status.message'),
    };
  }
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState: readString(st, field(v, 'traceState', 'trace_state'), 'traceState'),
    flags: readUint(v.flags, 'flags'),
    name: readString(st, v.name, 'name'),
    kind: readEnum(v.kind, SPAN_KINDS, 'kind') as SpanKindNumber,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes: readAttributes(st, v.attributes, 'span'),
    droppedAttributesCount: readUint(field(v, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
    events,
    links,
    status,
    resource: ctx.resource,
    scope: ctx.scope,
    // The minified JSON of this span: what it costs on the wire, independent of the sender's whitespace.
    wireBytes: utf8.encode(JSON.stringify(v)).length,
  };
}

function readList<T>(v: unknown, what: string, max: number, read: (item: unknown) => T): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new SpanRejectError('malformed', `${what} must be an array`);
  if (v.length > max) throw new SpanRejectError('events_links', `span has more than maxEventsPerSpan ${max} ${what}`);
  return v.map(read);
}

function readEvent(st: JsonState, v: unknown): OtlpEvent {
  if (!isObject(v)) throw new SpanRejectError('malformed', 'event must be an object');
  return {
    timeUnixNano: readTime(field(v, 'timeUnixNano', 'time_unix_nano'), 'event timeUnixNano'),
    name: readString(st, v.name, 'event name'),
    attributes: readAttributes(st, v.attributes, 'event'),
  };
}

function readLink(st: JsonState, v: unknown): OtlpLink {
  if (!isObject(v)) throw new SpanRejectError('malformed', 'link must be an object');
  return {
    traceId: readId(field(v, 'traceId', 'trace_id'), 'link traceId', 16, true),
    spanId: readId(field(v, 'spanId', 'span_id'), 'link spanId', 8, true),
    traceState: readString(st, field(v, 'traceState', 'trace_state'), 'link traceState'),
    attributes: readAttributes(st, v.attributes, 'link'),
  };
}
