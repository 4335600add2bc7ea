/** Protobuf decoding of one Span with its events, links and status (opentelemetry-proto trace/v1). */
import { shareEmpty, type OtlpSpan } from './types.js';
import { type Attributes, type OtlpEvent, type OtlpLink, type OtlpResource, type OtlpScope, type SpanKindNumber, type StatusCodeNumber } from '../model/otlp-values.js';
import type { ProtoReader } from './proto-reader.js';
import { readAttribute, readFilteredAttribute, type AttrFilter, type AttrLimits } from './proto-attributes.js';
import { checkEventTimes, checkIdBytes, checkSpanTimes, SpanRejectError, type TimeWindowNs } from './span-checks.js';
import { allZero, hexOf } from './text.js';

/** Everything a span decode needs besides the reader. */
export interface SpanContext {
  limits: AttrLimits & { maxEventsPerSpan: number };
  window: TimeWindowNs;
  resource: OtlpResource;
  scope: OtlpScope;
  /** Which span attributes to build (all when absent): the span is then marked `attributesLeftOut`. */
  filter?: AttrFilter | undefined;
}

/**
 * Reads the length-delimited id field at `r.pos` (its tag already read) as lowercase hex; throws SpanRejectError
 * when it has the wrong length or is all zero (an empty id passes when `mayBeEmpty`).
 */
export function readIdHex(r: ProtoReader, end: number, what: string, size: number, mayBeEmpty: boolean): string {
  const idEnd = r.lengthEnd(end);
  checkIdBytes(what, idEnd - r.pos, size, allZero(r.buf, r.pos, idEnd), mayBeEmpty);
  const hex = hexOf(r.buf, r.pos, idEnd);
  r.pos = idEnd;
  return hex;
}

/** Reads the Span message ending at `end`; throws SpanRejectError to refuse just this span. */
/**
 * Where each decoded span's Span message starts in its request body (protobuf only; its bytes run for `wireBytes`).
 * Kept beside the span rather than on it, so a decoded span stays exactly the OTLP span (the reference tests compare
 * every field).
 */
const SPAN_OFFSETS = new WeakMap<OtlpSpan, number>();

/** The offset of a span decoded from protobuf in its request body; undefined for OTLP/JSON. */
export function wireOffsetOf(span: OtlpSpan): number | undefined {
  return SPAN_OFFSETS.get(span);
}

export function readSpan(r: ProtoReader, end: number, ctx: SpanContext): OtlpSpan {
  const start = r.pos;
  const limits = ctx.limits;
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let traceState = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let startNs = 0n;
  let endNs = 0n;
  const attributes: Attributes = {};
  let attrCount = 0;
  const filter = ctx.filter;
  let leftOut = 0;
  let droppedAttributesCount = 0;
  const events: OtlpEvent[] = [];
  const links: OtlpLink[] = [];
  let status: OtlpSpan['status'] = { code: 0, message: '' };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
      case 2:
      case 4: {
        r.expectWire('Span', tag, 2);
        const field = tag >>> 3;
        const what = field === 1 ? 'traceId' : field === 2 ? 'spanId' : 'parentSpanId';
        const hex = readIdHex(r, end, what, field === 1 ? 16 : 8, field === 4);
        if (field === 1) traceId = hex;
        else if (field === 2) spanId = hex;
        else parentSpanId = hex;
        break;
      }
      case 3:
        r.expectWire('Span', tag, 2);
        traceState = r.string(end);
        break;
      case 5:
        r.expectWire('Span', tag, 2);
        // Through the value cache: names repeat (an operation and its model or tool), so buffered spans share them.
        name = r.value(end);
        break;
      case 6:
        r.expectWire('Span', tag, 0);
        kind = r.uint();
        break;
      case 7:
        r.expectWire('Span', tag, 1);
        startNs = r.fixed64(end);
        break;
      case 8:
        r.expectWire('Span', tag, 1);
        endNs = r.fixed64(end);
        break;
      case 9:
        r.expectWire('Span', tag, 2);
        if (filter === undefined) {
          readAttribute(r, end, attributes, limits, ++attrCount, 'span');
        } else {
          const marks = readFilteredAttribute(r, end, attributes, limits, ++attrCount, filter, 'span');
          if (marks > 0) leftOut |= marks;
        }
        break;
      case 10:
        r.expectWire('Span', tag, 0);
        droppedAttributesCount = r.uint();
        break;
      case 11:
        r.expectWire('Span', tag, 2);
        if (events.length >= limits.maxEventsPerSpan) {
          throw new SpanRejectError('events_links', `span has more than maxEventsPerSpan ${limits.maxEventsPerSpan} events`);
        }
        events.push(readEvent(r, r.lengthEnd(end), limits, filter));
        break;
      case 13:
        r.expectWire('Span', tag, 2);
        if (links.length >= limits.maxEventsPerSpan) {
          throw new SpanRejectError('events_links', `span has more than maxEventsPerSpan ${limits.maxEventsPerSpan} links`);
        }
        links.push(readLink(r, r.lengthEnd(end), limits, filter));
        break;
      case 15:
        r.expectWire('Span', tag, 2);
        status = readStatus(r, r.lengthEnd(end));
        break;
      case 16:
        r.expectWire('Span', tag, 5);
        flags = r.fixed32(end);
        break;
      default:
        // 12 dropped_events_count, 14 dropped_links_count and future fields.
        r.skip(tag, end);
    }
  }
  r.checkEnd('Span', end);
  if (traceId === '') checkIdBytes('traceId', 0, 16, false, false);
  if (spanId === '') checkIdBytes('spanId', 0, 8, false, false);
  checkSpanTimes(startNs, endNs, ctx.window);
  checkEventTimes(events, ctx.window);
  const span: OtlpSpan = {
    traceId,
    spanId,
    parentSpanId,
    traceState,
    flags,
    name,
    // Unknown enum numbers from newer senders read as UNSPECIFIED rather than failing the span.
    kind: (kind <= 5 ? kind : 0) as SpanKindNumber,
    startTimeUnixNano: startNs,
    endTimeUnixNano: endNs,
    attributes,
    droppedAttributesCount,
    events: shareEmpty(events),
    links: shareEmpty(links),
    status,
    resource: ctx.resource,
    scope: ctx.scope,
    wireBytes: end - start,
  };
  if (filter !== undefined) span.attributesLeftOut = leftOut;
  SPAN_OFFSETS.set(span, start);
  return span;
}

/** An event; with `filter`, only the attributes it wants are built (the marks of keys left out do not matter here). */
function readEvent(r: ProtoReader, end: number, limits: AttrLimits, filter: AttrFilter | undefined): OtlpEvent {
  let timeUnixNano = 0n;
  let name = '';
  const attributes: Attributes = {};
  let count = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expectWire('Span.Event', tag, 1);
        timeUnixNano = r.fixed64(end);
        break;
      case 2:
        r.expectWire('Span.Event', tag, 2);
        name = r.string(end);
        break;
      case 3:
        r.expectWire('Span.Event', tag, 2);
        if (filter === undefined) readAttribute(r, end, attributes, limits, ++count, 'event');
        else readFilteredAttribute(r, end, attributes, limits, ++count, filter, 'event');
        break;
      default:
        r.skip(tag, end);
    }
  }
  r.checkEnd('Span.Event', end);
  return { timeUnixNano, name, attributes };
}

/** A link; with `filter`, as readEvent. */
function readLink(r: ProtoReader, end: number, limits: AttrLimits, filter: AttrFilter | undefined): OtlpLink {
  let traceId = '';
  let spanId = '';
  let traceState = '';
  const attributes: Attributes = {};
  let count = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
      case 2: {
        r.expectWire('Span.Link', tag, 2);
        const field = tag >>> 3;
        const hex = readIdHex(r, end, field === 1 ? 'link traceId' : 'link spanId', field === 1 ? 16 : 8, true);
        if (field === 1) traceId = hex;
        else spanId = hex;
        break;
      }
      case 3:
        r.expectWire('Span.Link', tag, 2);
        traceState = r.string(end);
        break;
      case 4:
        r.expectWire('Span.Link', tag, 2);
        if (filter === undefined) readAttribute(r, end, attributes, limits, ++count, 'link');
        else readFilteredAttribute(r, end, attributes, limits, ++count, filter, 'link');
        break;
      default:
        r.skip(tag, end);
    }
  }
  r.checkEnd('Span.Link', end);
  return { traceId, spanId, traceState, attributes };
}

function readStatus(r: ProtoReader, end: number): OtlpSpan['status'] {
  let code = 0;
  let message = '';
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 2:
        r.expectWire('Status', tag, 2);
        message = r.string(end);
        break;
      case 3:
        r.expectWire('Status', tag, 0);
        code = r.uint();
        break;
      default:
        r.skip(tag, end);
    }
  }
  r.checkEnd('Status', end);
  return { code: (code <= 2 ? code : 0) as StatusCodeNumber, message };
}
