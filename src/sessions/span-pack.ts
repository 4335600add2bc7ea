/**
 * Buffered spans held as columns, not as objects (issue 30, point 1). A span waits in its open session for seconds
 * to minutes; as a decoded object it took ~850 heap bytes even lean (a 37-field object, its bigint times, and the
 * objects that hang off it), and every one of them outlived two young-generation collections, so V8 copied it twice
 * and then kept old-space pages for it. Here a span placed in a session becomes:
 * - eleven 8-byte slots in one ArrayBuffer per session (its two times as unsigned 64-bit integers, kind, status,
 *   usage role, flags, tool-arguments hash, HTTP status, wire size, wire offset, detail LSN) — outside V8's heap;
 * - eleven references in one array per session: ids, name, the trace's and the session's shared strings, one shared
 *   origin (service, resource, scope) per run of spans that share them, the shared GenAI value, the kept attributes,
 *   usage, cost, provider call, and an `extra` record only when the span has something uncommon (a trace state, a
 *   status message, events or links, an error type, inconsistent usage, evals). The user id, the list of usage fields a
 *   call did not report, the origin and the GenAI value are shared between the spans that have the same.
 * The session's spans are built again as objects only when it is decided (`PackedSpans.all`), all with one hidden
 * class; the decision, the counted identities and the writes read those, and the columns are dropped with the session.
 * Nothing is lost: every field comes back equal (`test/unit/sessions-span-pack.test.ts` checks each one); a span
 * whose times do not fit 64 unsigned bits is held as its object.
 */
import type { Attributes, OtlpEvent, OtlpLink, SpanKindNumber, StatusCodeNumber } from '../model/otlp-values.js';
import type { EvalResult, NormalizedSpan, UsageField, UsageRole } from '../model/span.js';

/** 8-byte slots per span in the numeric columns. */
const SLOTS = 11;
const START = 0;
const END = 1;
const KIND = 2;
const STATUS = 3;
const ROLE = 4;
const FLAGS = 5;
const TOOL_ARGS = 6;
const HTTP = 7;
const WIRE_BYTES = 8;
const WIRE_OFFSET = 9;
const DETAIL_AT = 10;

/** References per span. */
const REFS = 13;
const R_TRACE = 0;
const R_SPAN = 1;
const R_PARENT = 2;
const R_NAME = 3;
const R_ORIGIN = 4;
const R_GENAI = 5;
const R_ATTRS = 6;
const R_USAGE = 7;
const R_COST = 8;
const R_CALL = 9;
const R_USER = 10;
const R_MISSING = 11;
const R_EXTRA = 12;

const F_ERROR = 1;
const F_TOOL_ARGS_SET = 2;
const F_HTTP_SET = 4;
const F_WIRE_OFFSET = 8;
const F_DETAIL_AT = 16;
/** The span is held as its object (in the R_TRACE slot): its times do not fit the columns. */
const F_OBJECT = 32;
/** `sessionId` is the session's own id (else null, or the span's own alias in `extra`). */
const F_SESSION_ID = 64;

const ROLES: readonly UsageRole[] = ['call', 'aggregate', 'none'];
const MAX_U64 = (1n << 64n) - 1n;

/** Service, resource and scope: one object per run of spans that share them (spans of one request mostly do). */
interface Origin {
  readonly serviceName: string;
  readonly resourceAttributes: Attributes;
  readonly scopeName: string;
  readonly scopeVersion: string;
}

/** What few spans carry; absent (null) when the span has none of it. */
interface Extra {
  readonly traceState: string;
  readonly statusMessage: string;
  readonly events: OtlpEvent[];
  readonly links: OtlpLink[];
  readonly sessionId: string | null;
  readonly errorType: string | null;
  readonly usageViolations: string[];
  readonly evals: EvalResult[];
}

const NO_EVENTS: OtlpEvent[] = Object.freeze([]) as unknown as OtlpEvent[];
const NO_LINKS: OtlpLink[] = Object.freeze([]) as unknown as OtlpLink[];
const NO_FIELDS: UsageField[] = Object.freeze([]) as unknown as UsageField[];
const NO_STRINGS: string[] = Object.freeze([]) as unknown as string[];
const NO_EVALS: EvalResult[] = Object.freeze([]) as unknown as EvalResult[];

/** Spans in capacity doubling from this. */
const FIRST_CAPACITY = 8;

/** The spans of one open session, as columns. */
export class PackedSpans {
  private count = 0;
  private capacity = 0;
  private nums: Float64Array | null = null;
  private times: BigUint64Array | null = null;
  private readonly refs: unknown[] = [];
  private lastOrigin: Origin | null = null;
  /** The user id the previous span held (spans of a session mostly name one user: one string for all). */
  private lastUser: string | null = null;

  /** `tenantId` and `sessionId`: the session's own strings, which every span of it gets back. */
  constructor(
    private readonly tenantId: string,
    private readonly sessionId: string,
  ) {}

  get length(): number {
    return this.count;
  }

  /** Bytes held outside V8's heap (the numeric columns' capacity). */
  get columnBytes(): number {
    return this.capacity * SLOTS * 8;
  }

  /** Adds a span (placed: its trace id is the session's shared string for its trace). The span object is not kept. */
  push(span: NormalizedSpan): void {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    const n = i * SLOTS;
    const nums = this.nums!;
    const refs = this.refs;
    if (!fitsU64(span.startTimeUnixNano) || !fitsU64(span.endTimeUnixNano)) {
      nums[n + FLAGS] = F_OBJECT;
      refs.push(span, null, null, null, null, null, null, null, null, null, null, null, null);
      return;
    }
    this.times![n + START] = span.startTimeUnixNano;
    this.times![n + END] = span.endTimeUnixNano;
    nums[n + KIND] = span.kind;
    nums[n + STATUS] = span.statusCode;
    nums[n + ROLE] = span.usageRole === 'call' ? 0 : span.usageRole === 'aggregate' ? 1 : 2;
    let flags = span.isError ? F_ERROR : 0;
    if (span.toolArgsHash !== undefined) {
      flags |= F_TOOL_ARGS_SET;
      nums[n + TOOL_ARGS] = span.toolArgsHash === null ? NaN : span.toolArgsHash;
    }
    if (span.httpStatus !== undefined) {
      flags |= F_HTTP_SET;
      nums[n + HTTP] = span.httpStatus === null ? NaN : span.httpStatus;
    }
    if (span.wireOffset !== undefined) {
      flags |= F_WIRE_OFFSET;
      nums[n + WIRE_OFFSET] = span.wireOffset;
    }
    if (span.detailAt !== undefined) {
      flags |= F_DETAIL_AT;
      nums[n + DETAIL_AT] = span.detailAt;
    }
    nums[n + WIRE_BYTES] = span.wireBytes;
    const ownSession = span.sessionId === this.sessionId;
    if (ownSession) flags |= F_SESSION_ID;
    nums[n + FLAGS] = flags;
    refs.push(span.traceId, span.spanId, span.parentSpanId, span.name, this.originOf(span), span.genai, span.attributes, span.usage, span.cost, span.call, this.userOf(span.userId), missingList(span.usageMissing), extraOf(span, ownSession));
  }

  /** Every span as an object again (all of one shape), in the order they were added. */
  all(): NormalizedSpan[] {
    const out = new Array<NormalizedSpan>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.at(i);
    return out;
  }

  private at(i: number): NormalizedSpan {
    const n = i * SLOTS;
    const r = i * REFS;
    const nums = this.nums!;
    const refs = this.refs;
    const flags = nums[n + FLAGS]!;
    if ((flags & F_OBJECT) !== 0) return refs[r + R_TRACE] as NormalizedSpan;
    const times = this.times!;
    const origin = refs[r + R_ORIGIN] as Origin;
    const x = refs[r + R_EXTRA] as Extra | null;
    const toolArgs = nums[n + TOOL_ARGS]!;
    const http = nums[n + HTTP]!;
    return {
      tenantId: this.tenantId,
      traceId: refs[r + R_TRACE] as string,
      spanId: refs[r + R_SPAN] as string,
      parentSpanId: refs[r + R_PARENT] as string,
      traceState: x === null ? '' : x.traceState,
      name: refs[r + R_NAME] as string,
      kind: nums[n + KIND] as SpanKindNumber,
      startTimeUnixNano: times[n + START]!,
      endTimeUnixNano: times[n + END]!,
      statusCode: nums[n + STATUS] as StatusCodeNumber,
      statusMessage: x === null ? '' : x.statusMessage,
      serviceName: origin.serviceName,
      resourceAttributes: origin.resourceAttributes,
      scopeName: origin.scopeName,
      scopeVersion: origin.scopeVersion,
      attributes: refs[r + R_ATTRS] as Attributes,
      events: x === null ? NO_EVENTS : x.events,
      links: x === null ? NO_LINKS : x.links,
      genai: refs[r + R_GENAI] as NormalizedSpan['genai'],
      sessionId: (flags & F_SESSION_ID) !== 0 ? this.sessionId : x === null ? null : x.sessionId,
      userId: refs[r + R_USER] as string | null,
      usage: refs[r + R_USAGE] as NormalizedSpan['usage'],
      usageRole: ROLES[nums[n + ROLE]!]!,
      usageMissing: refs[r + R_MISSING] as UsageField[],
      usageViolations: x === null ? NO_STRINGS : x.usageViolations,
      cost: refs[r + R_COST] as NormalizedSpan['cost'],
      isError: (flags & F_ERROR) !== 0,
      errorType: x === null ? null : x.errorType,
      toolArgsHash: (flags & F_TOOL_ARGS_SET) === 0 ? undefined : Number.isNaN(toolArgs) ? null : toolArgs,
      httpStatus: (flags & F_HTTP_SET) === 0 ? undefined : Number.isNaN(http) ? null : http,
      call: refs[r + R_CALL] as NormalizedSpan['call'],
      evals: x === null ? NO_EVALS : x.evals,
      wireBytes: nums[n + WIRE_BYTES]!,
      wireOffset: (flags & F_WIRE_OFFSET) === 0 ? undefined : nums[n + WIRE_OFFSET]!,
      detailAt: (flags & F_DETAIL_AT) === 0 ? undefined : nums[n + DETAIL_AT]!,
    };
  }

  /** The previous span's user id string when equal to this one's. */
  private userOf(userId: string | null): string | null {
    if (userId === null || userId !== this.lastUser) this.lastUser = userId;
    return this.lastUser;
  }

  /** The origin the previous span used when this one has the same, else a new one. */
  private originOf(span: NormalizedSpan): Origin {
    const o = this.lastOrigin;
    if (o !== null && o.resourceAttributes === span.resourceAttributes && o.serviceName === span.serviceName && o.scopeName === span.scopeName && o.scopeVersion === span.scopeVersion) return o;
    const next: Origin = { serviceName: span.serviceName, resourceAttributes: span.resourceAttributes, scopeName: span.scopeName, scopeVersion: span.scopeVersion };
    this.lastOrigin = next;
    return next;
  }

  private grow(): void {
    const capacity = this.capacity === 0 ? FIRST_CAPACITY : this.capacity * 2;
    const buffer = new ArrayBuffer(capacity * SLOTS * 8);
    const nums = new Float64Array(buffer);
    if (this.nums !== null) nums.set(this.nums);
    this.nums = nums;
    this.times = new BigUint64Array(buffer);
    this.capacity = capacity;
  }
}

/** One frozen list per combination of missing usage fields (there are at most 2^5), shared by the spans that have it. */
const missingLists = new Map<string, UsageField[]>();

function missingList(fields: UsageField[]): UsageField[] {
  if (fields.length === 0) return NO_FIELDS;
  const key = fields.join(',');
  let list = missingLists.get(key);
  if (list === undefined) {
    list = Object.freeze([...fields]) as UsageField[];
    // Only the five usage fields can be named; anything else stays the span's own list rather than grow the table.
    if (missingLists.size >= 64) return fields;
    missingLists.set(key, list);
  }
  return list;
}

function fitsU64(t: bigint): boolean {
  return t >= 0n && t <= MAX_U64;
}

/** The span's uncommon fields, or null when each has its usual value (empty, null, or the session's id). */
function extraOf(span: NormalizedSpan, ownSession: boolean): Extra | null {
  if (
    span.traceState === '' &&
    span.statusMessage === '' &&
    span.events.length === 0 &&
    span.links.length === 0 &&
    (ownSession || span.sessionId === null) &&
    span.errorType === null &&
    span.usageViolations.length === 0 &&
    span.evals.length === 0
  )
    return null;
  return {
    traceState: span.traceState,
    statusMessage: span.statusMessage,
    events: span.events,
    links: span.links,
    sessionId: span.sessionId,
    errorType: span.errorType,
    usageViolations: span.usageViolations,
    evals: span.evals,
  };
}
