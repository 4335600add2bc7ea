/** Protobuf decoding of KeyValue / AnyValue (opentelemetry-proto common/v1/common.proto). */
import type { AttrValue, Attributes } from '../model/otlp-values.js';
import type { ProtoReader } from './proto-reader.js';
import { checkAttributeCount, checkNesting } from './span-checks.js';
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
  checkNesting(depth, limits.maxAnyValueDepth);
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
  checkNesting(depth, limits.maxAnyValueDepth);
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
  checkNesting(depth, limits.maxAnyValueDepth);
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

/**
 * Which span attributes a decode builds. A key left out is still read through, its value checked as if it were built
 * (wire types, nesting depth, UTF-8, the string limit's count), so a bad span is refused the same; only no value is
 * made. The span is then held lean (src/sessions/span-detail.ts): if its session is kept, its whole attributes are
 * read back from the logged request.
 */
export interface AttrFilter {
  /** -1 to build the key's value; otherwise the key is left out, and the returned marks (≥ 0) go to the span's. */
  marksIfLeftOut(key: string): number;
}

/**
 * Reads one KeyValue of an attribute list (a span's, its events' or links') through `filter`, rejecting the span once `count` exceeds the limit.
 * Returns -1 when the attribute was stored in `target`, else the marks of its key, left out.
 */
export function readFilteredAttribute(r: ProtoReader, end: number, target: Attributes, limits: AttrLimits, count: number, filter: AttrFilter, owner: string): number {
  checkAttributeCount(count, limits.maxAttributesPerSpan, owner);
  const kvEnd = r.lengthEnd(end);
  let key = '';
  let marks = -1;
  let value: AttrValue = null;
  // Where a value left unread lies (-1: none), in case a later key field (the last one wins) wants it built after all.
  let unreadAt = -1;
  let unreadEnd = -1;
  while (r.pos < kvEnd) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expectWire('KeyValue', tag, 2);
        key = r.key(kvEnd);
        marks = filter.marksIfLeftOut(key);
        break;
      case 2: {
        r.expectWire('KeyValue', tag, 2);
        const valueEnd = r.lengthEnd(kvEnd);
        // A value before its key (legal, never seen from an SDK) is built: whether it is wanted is not known yet.
        if (marks >= 0) {
          unreadAt = r.pos;
          unreadEnd = valueEnd;
          value = null;
          checkAnyValue(r, valueEnd, limits, 1);
        } else {
          unreadAt = -1;
          value = readAnyValue(r, valueEnd, limits, 1);
        }
        break;
      }
      default:
        r.skip(tag, kvEnd);
    }
  }
  r.checkEnd('KeyValue', kvEnd);
  const finalMarks = filter.marksIfLeftOut(key);
  if (finalMarks >= 0) return finalMarks;
  if (unreadAt >= 0) {
    // Checked already (its cut counted once): build it without counting again.
    const truncated = r.truncatedStrings;
    r.pos = unreadAt;
    value = readAnyValue(r, unreadEnd, limits, 1);
    r.pos = kvEnd;
    r.truncatedStrings = truncated;
  }
  setOwn(target, key, value);
  return -1;
}

/** Reads through one AnyValue as readAnyValue does, throwing the same errors, without making the value. */
function checkAnyValue(r: ProtoReader, end: number, limits: AttrLimits, depth: number): void {
  checkNesting(depth, limits.maxAnyValueDepth);
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expectWire('AnyValue', tag, 2);
        r.skipString(end);
        break;
      case 2:
        r.expectWire('AnyValue', tag, 0);
        r.uint();
        break;
      case 3:
        r.expectWire('AnyValue', tag, 0);
        r.int64();
        break;
      case 4:
        r.expectWire('AnyValue', tag, 1);
        r.double(end);
        break;
      case 5:
        r.expectWire('AnyValue', tag, 2);
        checkList(r, r.lengthEnd(end), limits, depth + 1, 'ArrayValue');
        break;
      case 6:
        r.expectWire('AnyValue', tag, 2);
        checkList(r, r.lengthEnd(end), limits, depth + 1, 'KeyValueList');
        break;
      case 7:
        r.expectWire('AnyValue', tag, 2);
        r.pos = r.lengthEnd(end);
        break;
      default:
        r.skip(tag, end);
    }
  }
  r.checkEnd('AnyValue', end);
}

/** Reads through an ArrayValue (values) or a KeyValueList (key-value pairs, at the list's depth) without making them. */
function checkList(r: ProtoReader, end: number, limits: AttrLimits, depth: number, message: 'ArrayValue' | 'KeyValueList'): void {
  checkNesting(depth, limits.maxAnyValueDepth);
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 !== 1) {
      r.skip(tag, end);
      continue;
    }
    r.expectWire(message, tag, 2);
    const itemEnd = r.lengthEnd(end);
    if (message === 'ArrayValue') checkAnyValue(r, itemEnd, limits, depth);
    else checkKeyValue(r, itemEnd, limits, depth);
  }
  r.checkEnd(message, end);
}

/** Reads through one KeyValue of a KeyValueList as readKeyValueInto does, without making it. */
function checkKeyValue(r: ProtoReader, end: number, limits: AttrLimits, depth: number): void {
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expectWire('KeyValue', tag, 2);
        r.skipString(end);
        break;
      case 2:
        r.expectWire('KeyValue', tag, 2);
        checkAnyValue(r, r.lengthEnd(end), limits, depth);
        break;
      default:
        r.skip(tag, end);
    }
  }
  r.checkEnd('KeyValue', end);
}

/** Reads one KeyValue of an attribute list, rejecting the span once `count` exceeds the limit. */
export function readAttribute(r: ProtoReader, end: number, target: Attributes, limits: AttrLimits, count: number, owner: string): void {
  checkAttributeCount(count, limits.maxAttributesPerSpan, owner);
  readKeyValueInto(r, r.lengthEnd(end), target, limits, 1);
}
