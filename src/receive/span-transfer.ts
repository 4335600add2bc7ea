/**
 * Span transfer (issue 31): what a decode worker hands back for one trace request, its normalized, priced spans, as
 * ONE ArrayBuffer of fixed layout moved to the main thread in postMessage's transfer list, never a structured clone of
 * objects. The layout and its writer (the worker side) are in span-transfer-write.ts; this is the reader, all the main
 * thread pays, which must cost far less than decoding the protobuf again (bench/span-transfer.ts). Every field comes
 * back exactly, in normalize.ts's key order (one hidden class); strings are decoded once per buffer, ASCII ones with
 * latin1Slice; resource attributes and string lists shared in the input are shared again.
 */
import { NO_PROVIDER_CALL } from '../conventions/provider-call.js';
import type { AttrValue, Attributes, OtlpEvent, OtlpLink, SpanKindNumber, StatusCodeNumber } from '../model/otlp-values.js';
import type { EvalResult, NormalizedSpan, ProviderCall, SpanCost, UsageField } from '../model/span.js';
import { shareEmpty, type SpanRejection } from '../otlp/types.js';
import { setOwn } from '../otlp/text.js';
import { fail, LAYOUT, type NativeBuffer } from './span-transfer-write.js';

export { encodeTransferredSpans } from './span-transfer-write.js';

/** What a decode worker hands back for one trace request. */
export interface TransferredSpans {
  spans: NormalizedSpan[];
  rejected: SpanRejection[];
  /** spans decoded + rejected at decode (the handler's `received` count) */
  received: number;
  truncatedStrings?: number;
  unknownFields?: { fields: string[]; message: string };
}

// The layout's constants read once, not as property loads on every span.
const { MAGIC, HEADER_WORDS, ASCII, UTF8, T_STR, T_NUM, T_TRUE, T_FALSE, T_NULL, T_BYTES, T_ARR, ABSENT, NULL, VALUE, MIN_SPAN_WORDS } = LAYOUT;
const { F_ERROR, F_USAGE, F_NO_CALL, F_COST_NULL, S_TOOL_ARGS, S_HTTP, S_WIRE_OFFSET, S_DETAIL_AT, S_CATALOG_MODEL, S_INCOMPLETE, S_OVERSTATED, S_UNREPORTED } = LAYOUT;
const NOTHING: never[] = shareEmpty<never>([]);

/** Reads the streams of one buffer; every read advances its stream's cursor. */
class Reader {
  p32 = 0;
  pf = 0;
  p64 = 0;
  pr = 0;
  readonly resources: Attributes[] = [];
  readonly lists: string[][] = [];

  constructor(
    readonly u32: Uint32Array,
    readonly f64: Float64Array,
    readonly u64: BigUint64Array,
    readonly raw: Uint8Array,
    readonly strings: string[],
  ) {}

  w(): number {
    return this.u32[this.p32++]!;
  }

  /** A number as the writer's `num` wrote it. */
  num(): number {
    const x = this.u32[this.p32++]!;
    return (x & 1) === 0 ? x >>> 1 : this.f64[this.pf++]!;
  }

  time(): bigint {
    return this.u64[this.p64++]!;
  }

  s(): string {
    return this.strings[this.u32[this.p32++]!] ?? fail('string ref out of range');
  }

  ns(): string | null {
    const i = this.u32[this.p32++]!;
    return i === 0 ? null : (this.strings[i - 1] ?? fail('string ref out of range'));
  }

  /** `n`, checked against the words left for items of at least `words` main words each. */
  count(n: number, words: number): number {
    return n * words > this.u32.length - this.p32 ? fail('count beyond the buffer') : n;
  }

  /** A value of a 2-bit optional-field state. */
  opt(state: number): number | null | undefined {
    return state === VALUE ? this.num() : state === NULL ? null : undefined;
  }
}

/** The spans of one buffer made by encodeTransferredSpans; throws an Error for a truncated or garbled buffer. */
export function decodeTransferredSpans(buf: ArrayBuffer): TransferredSpans {
  if (buf.byteLength < HEADER_WORDS * 4) fail('buffer shorter than its header');
  const [magic, nStrings, n32, nf, n64, nc, nr] = Array.from(new Uint32Array(buf, 0, HEADER_WORDS)) as [number, number, number, number, number, number, number];
  if (magic !== MAGIC) fail('not a span transfer buffer');
  const bytes = HEADER_WORDS * 4 + nf * 8 + n64 * 8 + nStrings * 4 + n32 * 4 + nc + nr;
  if (bytes !== buf.byteLength) fail(`buffer of ${buf.byteLength} bytes, its header says ${bytes}`);
  let at = HEADER_WORDS * 4;
  const view = <T>(make: new (b: ArrayBuffer, at: number, n: number) => T, n: number, size: number): T => {
    const v = new make(buf, at, n);
    at += n * size;
    return v;
  };
  const f64 = view(Float64Array, nf, 8);
  const u64 = view(BigUint64Array, n64, 8);
  const meta = view(Uint32Array, nStrings, 4);
  const u32 = view(Uint32Array, n32, 4);
  const r = new Reader(u32, f64, u64, new Uint8Array(buf, at + nc, nr), readStrings(meta, Buffer.from(buf, at, nc) as NativeBuffer));

  const flags = r.w();
  const received = r.num();
  const truncatedStrings = r.opt(flags & 3);
  let unknownFields: TransferredSpans['unknownFields'] | null = flags >> 2 === NULL ? null : undefined;
  if (flags >> 2 === VALUE) {
    const fields: string[] = [];
    for (let i = r.count(r.w(), 1); i > 0; i--) fields.push(r.s());
    unknownFields = { fields, message: r.s() };
  }
  const rejected: SpanRejection[] = [];
  for (let i = r.count(r.w(), 1); i > 0; i--) {
    const o: Record<string, string> = {};
    for (let k = r.count(r.w(), 2); k > 0; k--) setOwn(o, r.s(), r.s());
    rejected.push(o as unknown as SpanRejection);
  }
  const spans: NormalizedSpan[] = [];
  for (let i = r.count(r.w(), MIN_SPAN_WORDS); i > 0; i--) spans.push(readSpan(r));
  if (r.p32 !== n32 || r.pf !== nf || r.p64 !== n64 || r.pr !== nr) fail('streams not read to their ends');

  const out: TransferredSpans = { spans, rejected, received };
  // Null is no value the type allows, but what came in goes out.
  if ((flags & 3) !== ABSENT) out.truncatedStrings = truncatedStrings as number | undefined;
  if (flags >> 2 !== ABSENT) out.unknownFields = unknownFields as TransferredSpans['unknownFields'];
  return out;
}

function readStrings(meta: Uint32Array, chars: NativeBuffer): string[] {
  const out = new Array<string>(meta.length);
  let p = 0;
  for (let i = 0; i < meta.length; i++) {
    const m = meta[i]!;
    const end = p + (m >>> 2);
    if (end > chars.length) fail('string table beyond its bytes');
    const enc = m & 3;
    out[i] = enc === ASCII ? chars.latin1Slice(p, end) : enc === UTF8 ? chars.utf8Slice(p, end) : chars.ucs2Slice(p, end);
    p = end;
  }
  return p === chars.length ? out : fail('string table does not fill its bytes');
}

function readSpan(r: Reader): NormalizedSpan {
  const flags = r.w();
  const toolArgs = (flags >>> S_TOOL_ARGS) & 3;
  const http = (flags >>> S_HTTP) & 3;
  const wireOffset = (flags >>> S_WIRE_OFFSET) & 3;
  // The key order of Normalizer.normalize, so decoded spans share its hidden class; values are read in key order.
  let span: NormalizedSpan = {
    tenantId: r.s(), traceId: r.s(), spanId: r.s(), parentSpanId: r.s(), traceState: r.s(), name: r.s(),
    kind: (flags & 7) as SpanKindNumber, startTimeUnixNano: r.time(), endTimeUnixNano: r.time(), statusCode: ((flags >>> 3) & 3) as StatusCodeNumber,
    statusMessage: r.s(), serviceName: r.s(), resourceAttributes: readResource(r), scopeName: r.s(), scopeVersion: r.s(),
    attributes: readAttrs(r, r.w()), events: readEvents(r), links: readLinks(r),
    genai: {
      operation: r.ns(), provider: r.ns(), requestModel: r.ns(), responseModel: r.ns(), agentName: r.ns(),
      agentId: r.ns(), toolName: r.ns(), toolCallId: r.ns(), toolType: r.ns(), conventions: readList(r),
    },
    sessionId: r.ns(), userId: r.ns(),
    usage: (flags & F_USAGE) === 0 ? null : { inputTokens: r.num(), outputTokens: r.num(), cacheReadTokens: r.num(), cacheWriteTokens: r.num(), reasoningTokens: r.num() },
    usageRole: r.s() as NormalizedSpan['usageRole'], usageMissing: readList(r) as UsageField[], usageViolations: readList(r),
    cost: readCost(r, flags), isError: (flags & F_ERROR) !== 0, errorType: r.ns(), toolArgsHash: r.opt(toolArgs), httpStatus: r.opt(http),
    call: (flags & F_NO_CALL) !== 0 ? NO_PROVIDER_CALL : readCall(r), evals: readEvals(r), wireBytes: r.num(),
    // Added as normalize.ts adds it, which gives the span a map of its own (a later assignment would give another).
    ...(wireOffset === ABSENT ? {} : { wireOffset: r.opt(wireOffset) as number | undefined }),
  };
  // Hand-built spans may lack these two keys; normalized ones always have them. A copy, not `delete` (dictionary mode).
  if (toolArgs === ABSENT || http === ABSENT) span = Object.fromEntries(Object.entries(span).filter(([k]) => !(toolArgs === ABSENT && k === 'toolArgsHash') && !(http === ABSENT && k === 'httpStatus'))) as unknown as NormalizedSpan;
  const detailAt = (flags >>> S_DETAIL_AT) & 3;
  if (detailAt !== ABSENT) span.detailAt = r.opt(detailAt) as number | undefined;
  return span;
}

function readResource(r: Reader): Attributes {
  const i = r.w();
  const known = r.resources[i];
  if (known !== undefined) return known;
  if (i !== r.resources.length) fail('resource ref out of range');
  const res = readAttrs(r, r.w());
  r.resources.push(res);
  return res;
}

function readCost(r: Reader, flags: number): SpanCost {
  // Built as the pricing stage builds it (pricer.ts costOfShape): three keys, then the optional ones in order.
  const cost: SpanCost = { costUsd: (flags & F_COST_NULL) !== 0 ? null : r.num(), source: r.s() as SpanCost['source'], priceVersion: r.s() };
  const catalogModel = (flags >>> S_CATALOG_MODEL) & 3;
  if (catalogModel !== ABSENT) cost.catalogModel = catalogModel === VALUE ? r.s() : undefined;
  const incomplete = (flags >>> S_INCOMPLETE) & 3;
  if (incomplete !== ABSENT) cost.usageIncomplete = incomplete === VALUE ? (r.s() as SpanCost['usageIncomplete']) : undefined;
  const overstated = (flags >>> S_OVERSTATED) & 3;
  if (overstated !== ABSENT) cost.overstatedUpToUsd = r.opt(overstated) as number | undefined;
  const unreported = (flags >>> S_UNREPORTED) & 3;
  if (unreported !== ABSENT) cost.cacheUnreportedInputTokens = r.opt(unreported) as number | undefined;
  return cost;
}

function readCall(r: Reader): ProviderCall {
  const nulls = r.w();
  return {
    serverAddress: r.s(), serverPort: r.num(), region: r.s(), regionSource: r.s() as ProviderCall['regionSource'], hostProvider: r.ns(),
    ttftMs: (nulls & 1) !== 0 ? null : r.num(), refusal: r.ns() as ProviderCall['refusal'], httpStatus: (nulls & 2) !== 0 ? null : r.num(), retryAfterMs: (nulls & 4) !== 0 ? null : r.num(),
  };
}

/** The items of a list whose head `listHead` wrote: none is the shared frozen list when the input's was frozen. */
function readItems<T>(r: Reader, minWords: number, item: (r: Reader) => T): T[] {
  const head = r.w();
  if (head < 2) return (head & 1) !== 0 ? NOTHING : [];
  const out: T[] = [];
  for (let i = r.count(head >>> 1, minWords); i > 0; i--) out.push(item(r));
  return (head & 1) !== 0 ? (Object.freeze(out) as T[]) : out;
}

const readEvent = (r: Reader): OtlpEvent => ({ timeUnixNano: r.time(), name: r.s(), attributes: readAttrs(r, r.w()) });
const readLink = (r: Reader): OtlpLink => ({ traceId: r.s(), spanId: r.s(), traceState: r.s(), attributes: readAttrs(r, r.w()) });
const readEvents = (r: Reader): OtlpEvent[] => readItems(r, 2, readEvent);
const readLinks = (r: Reader): OtlpLink[] => readItems(r, 4, readLink);
const readEvals = (r: Reader): EvalResult[] => readItems(r, 8, readEval);

function readEval(r: Reader): EvalResult {
  const scoreNull = r.w() === 1;
  return {
    name: r.s(), score: scoreNull ? null : r.num(), label: r.ns(), explanation: r.ns(),
    target: { sessionId: r.ns(), traceId: r.ns(), spanId: r.ns() }, source: r.s() as EvalResult['source'], timeUnixNano: r.time(),
  };
}

function readList(r: Reader): string[] {
  const i = r.w();
  const known = r.lists[i];
  if (known !== undefined) return known;
  if (i !== r.lists.length) fail('list ref out of range');
  const list = readItems(r, 1, (x) => x.s());
  r.lists.push(list);
  return list;
}

/** `n` key/value pairs: a span's, event's or link's attributes, or a kvlist value. */
function readAttrs(r: Reader, n: number): Attributes {
  const o: Attributes = {};
  for (let i = r.count(n, 2); i > 0; i--) setOwn(o, r.s(), readValue(r));
  return o;
}

function readValue(r: Reader): AttrValue {
  const v = r.w();
  switch (v & 7) {
    case T_STR:
      return r.strings[v >>> 3] ?? fail('string ref out of range');
    case T_NUM:
      return (v & 8) === 0 ? v >>> 4 : r.f64[r.pf++]!;
    case T_TRUE:
      return true;
    case T_FALSE:
      return false;
    case T_NULL:
      return null;
    case T_BYTES: {
      const end = r.pr + (v >>> 3);
      if (end > r.raw.length) fail('bytes value beyond the buffer');
      // A copy, as the decoders make: a view would pin the whole transferred buffer.
      const b = r.raw.slice(r.pr, end);
      r.pr = end;
      return b;
    }
    case T_ARR: {
      const out: AttrValue[] = [];
      for (let i = r.count(v >>> 3, 1); i > 0; i--) out.push(readValue(r));
      return out;
    }
    default: // T_OBJ
      return readAttrs(r, v >>> 3);
  }
}
