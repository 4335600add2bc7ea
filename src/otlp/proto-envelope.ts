/**
 * The envelope every OTLP export request shares, whatever the signal: `Export*ServiceRequest { repeated
 * Resource* = 1 }`, `Resource* { Resource resource = 1; repeated Scope* = 2; string schema_url = 3 }`,
 * `Scope* { InstrumentationScope scope = 1; repeated <item> = 2; string schema_url = 3 }`. Traces and logs walk it
 * with their own item reader (spans, log records), so limits, paths and rejections behave the same for both.
 */
import { AgtError } from '../model/errors.js';
import type { Attributes, OtlpResource, OtlpScope } from '../model/otlp-values.js';
import type { DecodeLimits, SpanRejection } from './types.js';
import { ProtoReader } from './proto-reader.js';
import { readAttribute, type AttrFilter } from './proto-attributes.js';
import { SpanRejectError, timeWindowNs, type SpanProblem, type TimeWindowNs } from './span-checks.js';

/** Message names of one signal, for paths and error texts. */
export interface EnvelopeNames {
  request: string;
  resource: string;
  scope: string;
  /** JSON-style key of the resource list ("resourceSpans"), of the scope list and of the items, for paths. */
  resourceKey: string;
  scopeKey: string;
  itemKey: string;
  /** The word used in the per-request limit message ("spans", "log records"). */
  itemNoun: string;
}

/** Reads one item (a span, a log record) ending at `end`; throws SpanRejectError to refuse just this item. */
export type ItemReader<T> = (r: ProtoReader, end: number, ctx: ItemContext) => T;

/** What an item reader gets besides the reader. */
export interface ItemContext {
  limits: DecodeLimits;
  window: TimeWindowNs;
  resource: OtlpResource;
  scope: OtlpScope;
  /** Spans only: which attributes to build (proto-attributes.ts); all when absent. */
  filter?: AttrFilter | undefined;
}

/** The items of a request, the ones refused (with their paths), and how many strings were cut. */
export interface DecodedItems<T> {
  items: T[];
  rejected: SpanRejection[];
  truncatedStrings: number;
  /** OTLP/JSON only: a body holding none of the envelope's known top-level fields, only unknown ones. */
  unknownFields?: UnknownFields;
}

/**
 * Top-level fields an OTLP/JSON body held instead of its resource list (`{"resourceSpan": […]}`, a typo): the spec
 * says unknown fields are ignored, so the request is accepted, and the answer's partial_success says why it held
 * nothing (`message`).
 */
export interface UnknownFields {
  fields: string[];
  message: string;
}

interface WalkState<T> {
  r: ProtoReader;
  limits: DecodeLimits;
  window: TimeWindowNs;
  names: EnvelopeNames;
  read: ItemReader<T>;
  items: T[];
  rejected: SpanRejection[];
  count: number;
  filter: AttrFilter | undefined;
}

/**
 * Walks an export request; throws AgtError (malformed / limit) for request-level problems only. `filter` goes to the
 * item reader (spans: which attributes to build).
 */
export function walkExportRequest<T>(bytes: Uint8Array, limits: DecodeLimits, nowMs: number, names: EnvelopeNames, read: ItemReader<T>, filter?: AttrFilter): DecodedItems<T> {
  const r = new ProtoReader(bytes, limits.maxStringBytes);
  const st: WalkState<T> = { r, limits, window: timeWindowNs(limits, nowMs), names, read, items: [], rejected: [], count: 0, filter };
  const end = bytes.length;
  try {
    let index = 0;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag >>> 3 === 1) {
        r.expectWire(names.request, tag, 2);
        readResourceGroup(st, r.lengthEnd(end), `${names.resourceKey}[${index++}]`);
      } else {
        r.skip(tag, end);
      }
    }
    r.checkEnd(names.request, end);
  } catch (err) {
    if (err instanceof AgtError) throw err;
    // Only a decoder bug gets here; still answer with the request-level code rather than crash.
    throw new AgtError('AGT_ERR_MALFORMED_REQUEST', `undecodable request near byte ${r.pos}: ${String(err)}`, { cause: err });
  }
  return { items: st.items, rejected: st.rejected, truncatedStrings: r.truncatedStrings };
}

/** Finds the length-delimited field 1 of the message ending at `end` (it may follow the others on the wire). */
function findHeader(r: ProtoReader, end: number, message: string): { start: number; end: number; schemaUrl: string } {
  let start = -1;
  let headerEnd = -1;
  let schemaUrl = '';
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.expectWire(message, tag, 2);
      headerEnd = r.lengthEnd(end);
      start = r.pos;
      r.pos = headerEnd;
    } else if (field === 3) {
      r.expectWire(message, tag, 2);
      schemaUrl = r.string(end);
    } else {
      if (field === 2) r.expectWire(message, tag, 2);
      r.skip(tag, end);
    }
  }
  r.checkEnd(message, end);
  return { start, end: headerEnd, schemaUrl };
}

function readResourceGroup<T>(st: WalkState<T>, end: number, path: string): void {
  const r = st.r;
  const start = r.pos;
  const header = findHeader(r, end, st.names.resource);
  let resource: OtlpResource = { attributes: {}, droppedAttributesCount: 0 };
  let problem: SpanProblem | null = null;
  if (header.start >= 0) {
    r.pos = header.start;
    try {
      resource = readResource(st, header.end);
    } catch (err) {
      if (!(err instanceof SpanRejectError)) throw err;
      problem = { kind: err.kind, reason: `resource: ${err.message}` };
    }
  }
  if (header.schemaUrl !== '') resource.schemaUrl = header.schemaUrl;
  r.pos = start;
  let index = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 2) readScopeGroup(st, r.lengthEnd(end), `${path}.${st.names.scopeKey}[${index++}]`, resource, problem);
    else r.skip(tag, end);
  }
}

function readResource<T>(st: WalkState<T>, end: number): OtlpResource {
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

function readScopeGroup<T>(st: WalkState<T>, end: number, path: string, resource: OtlpResource, resourceProblem: SpanProblem | null): void {
  const r = st.r;
  const start = r.pos;
  const header = findHeader(r, end, st.names.scope);
  let scope: OtlpScope = { name: '', version: '', attributes: {} };
  let problem = resourceProblem;
  if (header.start >= 0 && problem === null) {
    r.pos = header.start;
    try {
      scope = readScope(st, header.end);
    } catch (err) {
      if (!(err instanceof SpanRejectError)) throw err;
      problem = { kind: err.kind, reason: `scope: ${err.message}` };
    }
  }
  if (header.schemaUrl !== '') scope.schemaUrl = header.schemaUrl;
  const ctx: ItemContext = { limits: st.limits, window: st.window, resource, scope, filter: st.filter };
  r.pos = start;
  let index = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 !== 2) {
      r.skip(tag, end);
      continue;
    }
    const itemEnd = r.lengthEnd(end);
    if (++st.count > st.limits.maxSpansPerRequest) {
      throw new AgtError('AGT_ERR_LIMIT_EXCEEDED', `request has more than maxSpansPerRequest ${st.limits.maxSpansPerRequest} ${st.names.itemNoun}`);
    }
    // The item's path is built only for a rejection (it was a string per span).
    const at = index++;
    if (problem !== null) {
      st.rejected.push({ path: itemPathOf(path, st.names.itemKey, at), ...problem });
      r.pos = itemEnd;
      continue;
    }
    try {
      st.items.push(st.read(r, itemEnd, ctx));
    } catch (err) {
      if (!(err instanceof SpanRejectError)) throw err;
      st.rejected.push({ path: itemPathOf(path, st.names.itemKey, at), kind: err.kind, reason: err.message });
      r.pos = itemEnd;
    }
  }
}

/** Where a rejected item is in the request, e.g. `resourceSpans[0].scopeSpans[1].spans[7]`. */
function itemPathOf(scopePath: string, itemKey: string, index: number): string {
  return `${scopePath}.${itemKey}[${index}]`;
}

function readScope<T>(st: WalkState<T>, end: number): OtlpScope {
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
