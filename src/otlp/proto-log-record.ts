/** Protobuf decoding of one LogRecord (opentelemetry-proto logs/v1/logs.proto). */
import type { OtlpLogRecord } from './log-types.js';
import type { ItemContext } from './proto-envelope.js';
import type { ProtoReader } from './proto-reader.js';
import { readAnyValue, readAttribute } from './proto-attributes.js';
import { checkLogIds, checkLogTimes, eventNameOf } from './log-checks.js';
import { readIdHex } from './proto-span.js';
import type { AttrValue, Attributes } from '../model/otlp-values.js';

/** Reads the LogRecord ending at `end`; throws SpanRejectError to refuse just this record. */
export function readLogRecord(r: ProtoReader, end: number, ctx: ItemContext): OtlpLogRecord {
  const start = r.pos;
  const limits = ctx.limits;
  let timeNs = 0n;
  let observedNs = 0n;
  let severityNumber = 0;
  let severityText = '';
  let body: AttrValue = null;
  const attributes: Attributes = {};
  let attrCount = 0;
  let droppedAttributesCount = 0;
  let flags = 0;
  let traceId = '';
  let spanId = '';
  let eventName = '';
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expectWire('LogRecord', tag, 1);
        timeNs = r.fixed64(end);
        break;
      case 11:
        r.expectWire('LogRecord', tag, 1);
        observedNs = r.fixed64(end);
        break;
      case 2:
        r.expectWire('LogRecord', tag, 0);
        severityNumber = r.uint();
        break;
      case 3:
        r.expectWire('LogRecord', tag, 2);
        severityText = r.string(end);
        break;
      case 5:
        r.expectWire('LogRecord', tag, 2);
        body = readAnyValue(r, r.lengthEnd(end), limits, 1);
        break;
      case 6:
        r.expectWire('LogRecord', tag, 2);
        readAttribute(r, end, attributes, limits, ++attrCount, 'log record');
        break;
      case 7:
        r.expectWire('LogRecord', tag, 0);
        droppedAttributesCount = r.uint();
        break;
      case 8:
        r.expectWire('LogRecord', tag, 5);
        flags = r.fixed32(end);
        break;
      case 9:
      case 10: {
        r.expectWire('LogRecord', tag, 2);
        const isTrace = tag >>> 3 === 9;
        // Both ids are optional on a log record: empty means "no trace context".
        const hex = readIdHex(r, end, isTrace ? 'traceId' : 'spanId', isTrace ? 16 : 8, true);
        if (isTrace) traceId = hex;
        else spanId = hex;
        break;
      }
      case 12:
        r.expectWire('LogRecord', tag, 2);
        eventName = r.string(end);
        break;
      default:
        r.skip(tag, end);
    }
  }
  r.checkEnd('LogRecord', end);
  checkLogTimes(timeNs, observedNs, ctx.window);
  checkLogIds(traceId, spanId);
  return {
    timeUnixNano: timeNs,
    observedTimeUnixNano: observedNs,
    // SeverityNumber is 0..24; a newer sender's unknown number reads as UNSPECIFIED.
    severityNumber: severityNumber <= 24 ? severityNumber : 0,
    severityText,
    body,
    attributes,
    droppedAttributesCount,
    flags,
    traceId,
    spanId,
    eventName: eventNameOf(eventName, attributes),
    resource: ctx.resource,
    scope: ctx.scope,
    wireBytes: end - start,
  };
}
