/**
 * Decoder for protobuf ExportTraceServiceRequest (opentelemetry-proto collector/trace/v1), written
 * against the wire format directly: bench/decode.ts measures it against protobufjs.
 */
import { AgtError } from '../errors.js';
import type { Attributes, DecodedExport, DecodeLimits, OtlpResource, OtlpScope, OtlpSpan, SpanRejection } from './types.js';
import { ProtoReader } from './proto-reader.js';
import { readAttribute } from './proto-attributes.js';
import { readSpan, type SpanContext } from './proto-span.js';
import { SpanRejectError, timeWindowNs, type SpanProblem, type TimeWindowNs } from './span-checks.js';

interface RequestState {
  r: ProtoReader;
  limits: DecodeLimits;
  window: TimeWindowNs;
  spans: OtlpSpan[];
  rejected: SpanRejection[];
  spanCount: number;
}

/** Decodes a protobuf ExportTraceServiceRequest; throws AgtError (malformed / limit) for request-level problems only. */
export function decodeExportRequest(bytes: Uint8Array, limits: DecodeLimits, nowMs: number = Date.now()): DecodedExport {
  const r = new ProtoReader(bytes, limits.maxStringBytes);
  const st: RequestState = { r, limits, window: timeWindowNs(limits, nowMs), spans: [], rejected: [], spanCount: 0 };
  const end = bytes.length;
  try {
    let rsIndex = 0;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag >>> 3 === 1) {
        r.expectWire('ExportTraceServiceRequest', tag, 2);
        readResourceSpans(st, r.lengthEnd(end), `resourceSpans[${rsIndex++}]`);
      } else {
        r.skip(tag, end);
      }
    }
    r.checkEnd('ExportTraceServiceRequest', end);
  } catch (err) {
    if (err instanceof AgtError) throw err;
    // Only a decoder bug gets here; still answer with the request-level code rather than crash.
    throw new AgtError('AGT_ERR_MALFORMED_REQUEST', `undecodable request near byte ${r.pos}: ${String(err)}`, { cause: err });
  }
  const out: DecodedExport = { spans: st.spans, rejected: st.rejected };
  if (r.truncatedStrings > 0) out.truncatedStrings = r.truncatedStrings;
  return out;
}

function readResourceSpans(st: RequestState, end: number, path: string): void {
  const r = st.r;
  const start = r.pos;
  // Pass 1 finds the resource (it may follow the scope spans on the wire) and checks the structure.
  let resStart = -1;
  let resEnd = -1;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.expectWire('ResourceSpans', tag, 2);
      resEnd = r.lengthEnd(end);
      resStart = r.pos;
      r.pos = resEnd;
    } else {
      if (tag >>> 3 === 2) r.expectWire('ResourceSpans', tag, 2);
      r.skip(tag, end);
    }
  }
  r.checkEnd('ResourceSpans', end);
  let resource: OtlpResource = { attributes: {}, droppedAttributesCount: 0 };
  let problem: SpanProblem | null = null;
  if (resStart >= 0) {
    r.pos = resStart;
    try {
      resource = readResource(st, resEnd);
    } catch (err) {
      if (!(err instanceof SpanRejectError)) throw err;
      problem = { kind: err.kind, reason: `resource: ${err.message}` };
    }
  }
  r.pos = start;
  let ssIndex = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 2) readScopeSpans(st, r.lengthEnd(end), `${path}.scopeSpans[${ssIndex++}]`, resource, problem);
    else r.skip(tag, end);
  }
}

function readResource(st: RequestState, end: number): OtlpResource {
  const r = st.r;
  const attributes: Attributes = {};
  let count = 0;
  let droppedAttributesCount = 0;
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.expectWire('Resource', tag, 2);
      readAttribute(r, end, attributes, st.limits, ++count, 'resource');
    } else if (field === 2) {
      r.expectWire('Resource', tag, 0);
      droppedAttributesCount = r.uint();
    } else {
      r.skip(tag, end);
    }
  }
  r.checkEnd('Resource', end);
  return { attributes, droppedAttributesCount };
}

function readScopeSpans(st: RequestState, end: number, path: string, resource: OtlpResource, resourceProblem: SpanProblem | null): void {
  const r = st.r;
  const start = r.pos;
  let scopeStart = -1;
  let scopeEnd = -1;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.expectWire('ScopeSpans', tag, 2);
      scopeEnd = r.lengthEnd(end);
      scopeStart = r.pos;
      r.pos = scopeEnd;
    } else {
      if (tag >>> 3 === 2) r.expectWire('ScopeSpans', tag, 2);
      r.skip(tag, end);
    }
  }
  r.checkEnd('ScopeSpans', end);
  let scope: OtlpScope = { name: '', version: '', attributes: {} };
  let problem = resourceProblem;
  if (scopeStart >= 0 && problem === null) {
    r.pos = scopeStart;
    try {
      scope = readScope(st, scopeEnd);
    } catch (err) {
      if (!(err instanceof SpanRejectError)) throw err;
      problem = { kind: err.kind, reason: `scope: ${err.message}` };
    }
  }
  const ctx: SpanContext = { limits: st.limits, window: st.window, resource, scope };
  r.pos = start;
  let spanIndex = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 !== 2) {
      r.skip(tag, end);
      continue;
    }
    const spanEnd = r.lengthEnd(end);
    if (++st.spanCount > st.limits.maxSpansPerRequest) {
      throw new AgtError('AGT_ERR_LIMIT_EXCEEDED', `request has more than maxSpansPerRequest ${st.limits.maxSpansPerRequest} spans`);
    }
    const spanPath = `${path}.spans[${spanIndex++}]`;
    if (problem !== null) {
      st.rejected.push({ path: spanPath, ...problem });
      r.pos = spanEnd;
      continue;
    }
    try {
      st.spans.push(readSpan(r, spanEnd, ctx));
    } catch (err) {
      if (!(err instanceof SpanRejectError)) throw err;
      st.rejected.push({ path: spanPath, kind: err.kind, reason: err.message });
      r.pos = spanEnd;
    }
  }
}

function readScope(st: RequestState, end: number): OtlpScope {
  const r = st.r;
  let name = '';
  let version = '';
  const attributes: Attributes = {};
  let count = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expectWire('InstrumentationScope', tag, 2);
        name = r.string(end);
        break;
      case 2:
        r.expectWire('InstrumentationScope', tag, 2);
        version = r.string(end);
        break;
      case 3:
        r.expectWire('InstrumentationScope', tag, 2);
        readAttribute(r, end, attributes, st.limits, ++count, 'scope');
        break;
      default:
        r.skip(tag, end);
    }
  }
  r.checkEnd('InstrumentationScope', end);
  return { name, version, attributes };
}
