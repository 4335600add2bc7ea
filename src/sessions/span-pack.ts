/**
 * Buffered spans held as columns, not as objects (issue 30, point 1). A span waits in its open session for seconds
 * to minutes; as a decoded object it took ~850 heap bytes even lean (a 37-field object, its bigint times, and the
 * objects that hang off it), and every one of them outlived two young-generation collections, so V8 copied it twice
 * and then kept old-space pages for it. Here a span placed in a session becomes 24 cells of one array per session:
 * - 13 references: ids, name, the trace's and the session's shared strings, one shared origin (service, resource,
 *   scope) per run of spans that share them, the GenAI value (shared), the kept attributes, usage, cost, provider
 *   call (shared when it has no time of its own), the user id and the list of usage fields a call did not report
 *   (both shared), an `extra` record only when the span has something uncommon (a trace state, a status message,
 *   events or links, another session alias, an error type, inconsistent usage, evals), and a tool span's call id
 *   (its GenAI value is shared without it);
 * - 10 numbers V8 holds inline as small integers: the two times as 32-bit halves, one bit field (kind, status, usage
 *   role, flags), the tool-arguments hash, HTTP status, wire size, wire offset and detail LSN.
 * One array in V8's heap, not a typed array: an ArrayBuffer per session is a small long-lived malloc block among the
 * request buffers, and it kept the freed ones around them from going back to the system (RSS, measured).
 * The session's spans are built again as objects only when it is decided (`PackedSpans.all`), all with one hidden
 * class; the decision, the counted identities and the writes read those, and the columns are dropped with the session.
 * Nothing is lost: every field comes back equal (`test/unit/sessions-span-pack.test.ts` checks each one); a span
 * whose times do not fit 64 unsigned bits is held as its object.
 */
import type { Attributes, OtlpEvent, OtlpLink, SpanKindNumber, StatusCodeNumber } from '../model/otlp-values.js';
import type { EvalResult, GenAiInfo, NormalizedSpan, UsageField, UsageRole } from '../model/span.js';
import { Interner } from '../sampling/compact-entry.js';
import type { GenAiTable } from './span-compact.js';

/**
 * Cells per span in the session's one array: 14 references, then numbers small enough to be held inline (V8 small
 * integers, no boxes): the two times as a high and a low 32-bit half each, one bit field (kind, status, usage role,
 * flags), and the tool-arguments hash, HTTP status, wire size, wire offset and detail LSN.
 */
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
/** A tool span's call id (its GenAI value is shared without it), else null. */
const R_TOOL_CALL = 13;
const START_HI = 14;
const START_LO = 15;
const END_HI = 16;
const END_LO = 17;
const BITS = 18;
const TOOL_ARGS = 19;
const HTTP = 20;
const WIRE_BYTES = 21;
const WIRE_OFFSET = 22;
const DETAIL_AT = 23;
const CELLS = 24;

const F_ERROR = 1;
const F_TOOL_ARGS_SET = 2;
const F_HTTP_SET = 4;
const F_WIRE_OFFSET = 8;
const F_DETAIL_AT = 16;
/** The span is held as its object (in the R_TRACE cell): its times do not fit 64 unsigned bits. */
const F_OBJECT = 32;
/** `sessionId` is the session's own id (else null, or the span's own alias in `extra`). */
const F_SESSION_ID = 64;
const F_TOOL_ARGS_NULL = 128;
const F_HTTP_NULL = 256;
const KIND_SHIFT = 9;
const STATUS_SHIFT = 12;
const ROLE_SHIFT = 14;

const ROLES: readonly UsageRole[] = ['call', 'aggregate', 'none'];
const MAX_U64 = (1n << 64n) - 1n;
/** Splits a 64-bit time into two 32-bit halves and joins them again, without BigInt arithmetic. */
const halves = new DataView(new ArrayBuffer(8));

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

/** The spans of one open session, as columns of one array (V8's heap: no per-session malloc'd buffer, compacted like the rest). */
export class PackedSpans {
  private readonly cells: unknown[] = [];
  private lastOrigin: Origin | null = null;
  /** The user id the previous span held (spans of a session mostly name one user: one string for all). */
  private lastUser: string | null = null;

  /**
   * `tenantId` and `sessionId`: the session's own strings, which every span of it gets back. `genai`: the buffer's
   * table a tool span's GenAI value is shared through without its call id (absent: tool spans keep their own).
   */
  constructor(
    private readonly tenantId: string,
    private readonly sessionId: string,
    private readonly genai?: GenAiTable,
  ) {}

  get length(): number {
    return this.cells.length / CELLS;
  }

  /** Adds a span (placed: its trace id is the session's shared string for its trace). The span object is not kept. */
  push(span: NormalizedSpan): void {
    const c = this.cells;
    if (!fitsU64(span.startTimeUnixNano) || !fitsU64(span.endTimeUnixNano)) {
      c.push(span, null, null, null, null, null, null, null, null, null, null, null, null, null, 0, 0, 0, 0, F_OBJECT, 0, 0, 0, 0, 0);
      return;
    }
    const ownSession = span.sessionId === this.sessionId;
    let flags = span.isError ? F_ERROR : 0;
    if (ownSession) flags |= F_SESSION_ID;
    let toolArgs = 0;
    if (span.toolArgsHash !== undefined) {
      flags |= span.toolArgsHash === null ? F_TOOL_ARGS_SET | F_TOOL_ARGS_NULL : F_TOOL_ARGS_SET;
      toolArgs = span.toolArgsHash ?? 0;
    }
    let http = 0;
    if (span.httpStatus !== undefined) {
      flags |= span.httpStatus === null ? F_HTTP_SET | F_HTTP_NULL : F_HTTP_SET;
      http = span.httpStatus ?? 0;
    }
    if (span.wireOffset !== undefined) flags |= F_WIRE_OFFSET;
    if (span.detailAt !== undefined) flags |= F_DETAIL_AT;
    const role = span.usageRole === 'call' ? 0 : span.usageRole === 'aggregate' ? 1 : 2;
    const bits = flags | (span.kind << KIND_SHIFT) | (span.statusCode << STATUS_SHIFT) | (role << ROLE_SHIFT);
    halves.setBigUint64(0, span.startTimeUnixNano);
    const startHi = halves.getUint32(0);
    const startLo = halves.getInt32(4);
    halves.setBigUint64(0, span.endTimeUnixNano);
    const g = span.genai;
    const callId = this.genai === undefined ? null : g.toolCallId;
    c.push(
      span.traceId,
      span.spanId,
      span.parentSpanId,
      span.name,
      this.originOf(span),
      callId === null ? g : this.genai!.withoutCallId(g),
      span.attributes,
      span.usage,
      span.cost,
      span.call,
      this.userOf(span.userId),
      missingList(span.usageMissing),
      extraOf(span, ownSession),
      callId,
      startHi,
      startLo,
      halves.getUint32(0),
      halves.getInt32(4),
      bits,
      toolArgs,
      http,
      span.wireBytes,
      span.wireOffset ?? 0,
      span.detailAt ?? 0,
    );
  }

  /** Every span as an object again (all of one shape), in the order they were added. */
  all(): NormalizedSpan[] {
    const n = this.length;
    const out = new Array<NormalizedSpan>(n);
    for (let i = 0; i < n; i++) out[i] = this.at(i * CELLS);
    return out;
  }

  private at(r: number): NormalizedSpan {
    const c = this.cells;
    const bits = c[r + BITS] as number;
    if ((bits & F_OBJECT) !== 0) return c[r + R_TRACE] as NormalizedSpan;
    const origin = c[r + R_ORIGIN] as Origin;
    const x = c[r + R_EXTRA] as Extra | null;
    return {
      tenantId: this.tenantId,
      traceId: c[r + R_TRACE] as string,
      spanId: c[r + R_SPAN] as string,
      parentSpanId: c[r + R_PARENT] as string,
      traceState: x === null ? '' : x.traceState,
      name: c[r + R_NAME] as string,
      kind: ((bits >> KIND_SHIFT) & 7) as SpanKindNumber,
      startTimeUnixNano: joined(c[r + START_HI] as number, c[r + START_LO] as number),
      endTimeUnixNano: joined(c[r + END_HI] as number, c[r + END_LO] as number),
      statusCode: ((bits >> STATUS_SHIFT) & 3) as StatusCodeNumber,
      statusMessage: x === null ? '' : x.statusMessage,
      serviceName: origin.serviceName,
      resourceAttributes: origin.resourceAttributes,
      scopeName: origin.scopeName,
      scopeVersion: origin.scopeVersion,
      attributes: c[r + R_ATTRS] as Attributes,
      events: x === null ? NO_EVENTS : x.events,
      links: x === null ? NO_LINKS : x.links,
      genai: withCallId(c[r + R_GENAI] as GenAiInfo, c[r + R_TOOL_CALL] as string | null),
      sessionId: (bits & F_SESSION_ID) !== 0 ? this.sessionId : x === null ? null : x.sessionId,
      userId: c[r + R_USER] as string | null,
      usage: c[r + R_USAGE] as NormalizedSpan['usage'],
      usageRole: ROLES[(bits >> ROLE_SHIFT) & 3]!,
      usageMissing: c[r + R_MISSING] as UsageField[],
      usageViolations: x === null ? NO_STRINGS : x.usageViolations,
      cost: c[r + R_COST] as NormalizedSpan['cost'],
      isError: (bits & F_ERROR) !== 0,
      errorType: x === null ? null : x.errorType,
      toolArgsHash: (bits & F_TOOL_ARGS_SET) === 0 ? undefined : (bits & F_TOOL_ARGS_NULL) !== 0 ? null : (c[r + TOOL_ARGS] as number),
      httpStatus: (bits & F_HTTP_SET) === 0 ? undefined : (bits & F_HTTP_NULL) !== 0 ? null : (c[r + HTTP] as number),
      call: c[r + R_CALL] as NormalizedSpan['call'],
      evals: x === null ? NO_EVALS : x.evals,
      wireBytes: c[r + WIRE_BYTES] as number,
      wireOffset: (bits & F_WIRE_OFFSET) === 0 ? undefined : (c[r + WIRE_OFFSET] as number),
      detailAt: (bits & F_DETAIL_AT) === 0 ? undefined : (c[r + DETAIL_AT] as number),
    };
  }

  /** The previous span's user id string when equal to this one's. */
  private userOf(userId: string | null): string | null {
    if (userId !== this.lastUser) this.lastUser = userId;
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
}

/** A tool span's GenAI value with its call id again (a new object in the normalizer's field order), or the shared one. */
function withCallId(g: GenAiInfo, toolCallId: string | null): GenAiInfo {
  if (toolCallId === null) return g;
  return {
    operation: g.operation,
    provider: g.provider,
    requestModel: g.requestModel,
    responseModel: g.responseModel,
    agentName: g.agentName,
    agentId: g.agentId,
    toolName: g.toolName,
    toolCallId,
    toolType: g.toolType,
    conventions: g.conventions,
  };
}

/** A 64-bit time from its halves. */
function joined(hi: number, lo: number): bigint {
  halves.setUint32(0, hi);
  halves.setInt32(4, lo);
  return halves.getBigUint64(0);
}

/** Shared, frozen lists of missing usage fields (there are at most 2^5 combinations): the decision cache's Interner. */
const missingLists = new Interner(64);

function missingList(fields: UsageField[]): UsageField[] {
  return fields.length === 0 ? NO_FIELDS : (missingLists.list(fields) as UsageField[]);
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
