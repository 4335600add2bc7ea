/**
 * Buffered spans share what repeats instead of each holding its own copy (issue 30, point 1). A span waits in the
 * buffer for minutes; what it holds then is what an instance's memory per buffered span is made of. Once a span is
 * placed in its open session:
 * - its trace id and session id become the session's own strings (one per trace and per session, not per span);
 * - its GenAI fields become one shared, frozen object per distinct combination (every chat span of one agent on one
 *   model holds the same one), except spans with a tool-call id, which is unique to the span anyway;
 * - an empty attribute map and a cost of "no usage, no price" become one shared, frozen value each.
 * Measured on the e2e traffic (1,048 wire bytes per span, spans held lean): 1,086 → 851 heap bytes per span
 * (`bench/buffer.ts` reports it for whole spans). Nothing reads these values differently: a shared value is equal
 * field by field to the one it replaces, and frozen, so a write to it fails loudly instead of reaching other spans.
 */
import type { Attributes } from '../model/otlp-values.js';
import { NO_PROVIDER_CALL } from '../conventions/provider-call.js';
import type { GenAiInfo, NormalizedSpan, ProviderCall, SpanCost } from '../model/span.js';
import { Interner } from '../sampling/compact-entry.js';

/** The one empty attribute map buffered spans share (frozen). */
export const EMPTY_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;
const NO_COST: SpanCost = Object.freeze({ costUsd: null, source: 'none', priceVersion: '' }) as SpanCost;

/** Distinct GenAI combinations held at most; past it the table starts again (spans keep the objects they share). */
const MAX_GENAI = 4_096;
/**
 * Shared values a table checks field by field before it builds a key: the spans of a request repeat a few
 * combinations, and a key string built and hashed per span was most of the sharing's cost (GenAI value and provider
 * call together, e2e traffic: 0.66–0.77 µs per span with a key each time, 0.24–0.25 µs with the last 16 checked first).
 */
const RECENT = 16;

/** The last RECENT values a table handed out (a ring); a value equal to one of them takes it without a key. */
class Recent<T> {
  private readonly held: T[] = [];
  private next = 0;

  constructor(private readonly same: (held: T, v: T) => boolean) {}

  find(v: T): T | undefined {
    const held = this.held;
    for (let i = 0; i < held.length; i++) if (this.same(held[i]!, v)) return held[i];
    return undefined;
  }

  remember(v: T): T {
    if (this.held.length < RECENT) this.held.push(v);
    else this.held[this.next] = v;
    this.next = (this.next + 1) % RECENT;
    return v;
  }
}

/** The fields a GenAI value is shared by (all but the tool-call id, which shared values do not carry). */
function genAiKey(g: GenAiInfo): string {
  return `${g.operation}\u0001${g.provider}\u0001${g.requestModel}\u0001${g.responseModel}\u0001${g.agentName}\u0001${g.agentId}\u0001${g.toolName}\u0001${g.toolType}\u0001${g.conventions.join('\u0002')}`;
}

/** Equal in the fields of genAiKey. */
function sameGenAi(a: GenAiInfo, b: GenAiInfo): boolean {
  if (a.operation !== b.operation || a.provider !== b.provider || a.requestModel !== b.requestModel || a.responseModel !== b.responseModel) return false;
  if (a.agentName !== b.agentName || a.agentId !== b.agentId || a.toolName !== b.toolName || a.toolType !== b.toolType) return false;
  const x = a.conventions;
  const y = b.conventions;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** One shared value per distinct GenAI combination (bounded: the decision cache's Interner). */
export class GenAiTable {
  private readonly intern = new Interner(MAX_GENAI);
  private readonly recent = new Recent<GenAiInfo>(sameGenAi);

  /** The shared object equal to `g`; `g` itself when it carries a tool-call id (unique per span). */
  share(g: GenAiInfo): GenAiInfo {
    if (g.toolCallId !== null) return g;
    return this.recent.find(g) ?? this.recent.remember(this.intern.value(genAiKey(g), g));
  }

  /**
   * The shared object equal to `g` but for its tool-call id, which it does not carry (null): a tool span held as
   * columns keeps its id beside it (span-pack.ts). `g` itself is not changed.
   */
  withoutCallId(g: GenAiInfo): GenAiInfo {
    return this.recent.find(g) ?? this.recent.remember(this.intern.value(genAiKey(g), g.toolCallId === null ? g : { ...g, toolCallId: null }));
  }

  get size(): number {
    return this.intern.sharedValues;
  }
}

/** Distinct provider calls held at most; past it the table starts again. */
const MAX_CALLS = 4_096;

/** The fields a provider call is shared by (shared calls have no time to first token and no retry-after). */
function callKey(c: ProviderCall): string {
  return `${c.serverAddress}\u0001${c.serverPort}\u0001${c.region}\u0001${c.regionSource}\u0001${c.hostProvider}\u0001${c.refusal}\u0001${c.httpStatus}`;
}

/** Equal in the fields of callKey. */
function sameCall(a: ProviderCall, b: ProviderCall): boolean {
  return a.serverAddress === b.serverAddress && a.serverPort === b.serverPort && a.region === b.region && a.regionSource === b.regionSource && a.hostProvider === b.hostProvider && a.refusal === b.refusal && a.httpStatus === b.httpStatus;
}

/**
 * One shared value per distinct provider call without a time of its own: most calls of an instance go to a few
 * endpoints in a few regions, and their ~100-byte objects were one per call span. A call with a time to first token
 * or a retry-after keeps its own.
 */
export class CallTable {
  private readonly intern = new Interner(MAX_CALLS);
  private readonly recent = new Recent<ProviderCall>(sameCall);

  share(c: ProviderCall): ProviderCall {
    if (c === NO_PROVIDER_CALL || c.ttftMs !== null || c.retryAfterMs !== null) return c;
    return this.recent.find(c) ?? this.recent.remember(this.intern.value(callKey(c), c));
  }
}

/** True when `c` is the plain "no usage, no price" cost (no optional fields). */
function isNoCost(c: SpanCost): boolean {
  return c.source === 'none' && c.costUsd === null && c.priceVersion === '' && ownKeys(c) === 3;
}

/** How many own enumerable keys `o` has, counted without building a key list (`Object.keys` made one per span). */
function ownKeys(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/** True when `a` has no own key (checked without building a key list). */
function isEmpty(a: Attributes): boolean {
  for (const _ in a) return false;
  return true;
}

/** Makes a span placed in an open session share its GenAI fields, an empty attribute map and a plain cost (ids: OpenSession.add). */
export function compactSpan(span: NormalizedSpan, genai: GenAiTable, calls?: CallTable): void {
  span.genai = genai.share(span.genai);
  if (calls !== undefined) span.call = calls.share(span.call);
  if (span.attributes !== EMPTY_ATTRIBUTES && isEmpty(span.attributes)) span.attributes = EMPTY_ATTRIBUTES;
  if (span.cost !== NO_COST && isNoCost(span.cost)) span.cost = NO_COST;
}
