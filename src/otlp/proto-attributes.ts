/** Protobuf decoding of KeyValue / AnyValue (opentelemetry-proto common/v1/common.proto). */
import type { AttrValue, Attributes } from '../model/otlp-values.js';
import type { ProtoReader } from './proto-reader.js';
import { SpanRejectError } from './span-checks.js';
import { setOwn } from './text.js';

/** Decoding settings that attribute readers need. */
export interface AttrLimits {
  maxAttributesPerSpan: number;
  maxAnyValueDepth: number;
}

/** Reads one KeyValue message ending at `end` and stores it in `target` (a repeated key: last wins). */
export function readKeyValueInto(r: ProtoReader, end: number, target: Attributes, limits: AttrLimits, depth: number): void {
  let key = '';
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expectWire('KeyValue', tag, 2);
        key = r.key(end);
        break;
      case 2: {
        r.expectWire('KeyValue', tag, 2);
        const valueEnd = r.lengthEnd(end);
        value = readAnyValue(r, valueEnd, limits, depth);
        break;
      }
      default:
        r.skip(tag, end);
    }
  }
  r.checkEnd('KeyValue', end);
  setOwn(target, key, value);
}

/** Reads one AnyValue message ending at `end`; `depth` is 1 for an attribute's own value. */
export function readAnyValue(r: ProtoReader, end: number, limits: AttrLimits, depth: number): AttrValue {
  if (depth > limits.maxAnyValueDepth) {
    throw new SpanRejectError('nesting', `AnyValue nested deeper than maxAnyValueDepth ${limits.maxAnyValueDepth}`);
  }
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expectWire('AnyValue', tag, 2);
        value = r.value(end);
        break;
      case 2:
        r.expectWire('AnyValue', tag, 0);
        value = r.uint() !== 0;
        break;
      case 3:
        r.expectWire('AnyValue', tag, 0);
        value = r.int64();
        break;
      case 4:
        r.expectWire('AnyValue', tag, 1);
        value = r.double(end);
        break;
      case 5:
        r.expectWire('AnyValue', tag, 2);
        value = readArrayValue(r, r.lengthEnd(end), limits, depth + 1);
        break;
      case 6:
        r.expectWire('AnyValue', tag, 2);
        value = readKeyValueList(r, r.lengthEnd(end), limits, depth + 1);
        break;
      case 7:
        r.expectWire('AnyValue', tag, 2);
        value = r.bytes(end);
        break;
      default:
        r.skip(tag, end);
    }
  }
  r.checkEnd('AnyValue', end);
  return value;
}

function readArrayValue(r: ProtoReader, end: number, limits: AttrLimits, depth: number): AttrValue[] {
  if (depth > limits.maxAnyValueDepth) {
    throw new SpanRejectError('nesting', `AnyValue nested deeper than maxAnyValueDepth ${limits.maxAnyValueDepth}`);
  }
  const values: AttrValue[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.expectWire('ArrayValue', tag, 2);
      values.push(readAnyValue(r, r.lengthEnd(end), limits, depth));
    } else {
      r.skip(tag, end);
    }
  }
  r.checkEnd('ArrayValue', end);
  return values;
}

function readKeyValueList(r: ProtoReader, end: number, limits: AttrLimits, depth: number): Attributes {
  if (depth > limits.maxAnyValueDepth) {
    throw new SpanRejectError('nesting', `AnyValue nested deeper than maxAnyValueDepth ${limits.maxAnyValueDepth}`);
  }
  const values: Attributes = {};
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.expectWire('KeyValueList', tag, 2);
      readKeyValueInto(r, r.lengthEnd(end), values, limits, depth);
    } else {
      r.skip(tag, end);
    }
  }
  r.checkEnd('KeyValueList', end);
  return values;
}

/** Reads one KeyValue of an attribute list, rejecting the span once `count` exceeds the limit. */
export function readAttribute(r: ProtoReader, end: number, target: Attributes, limits: AttrLimits, count: number, owner: string): void {
  if (count > limits.maxAttributesPerSpan) {
    throw new SpanRejectError('attributes', `${owner} has more than maxAttributesPerSpan ${limits.maxAttributesPerSpan} attributes`);
  }
  readKeyValueInto(r, r.lengthEnd(end), target, limits, 1);
}
