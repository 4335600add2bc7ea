/**
 * One session's spans as the detectors read them, indexed once per decision: model calls and tool calls in start
 * order, parents by span id (built on first use), and the prices cache figures are computed with.
 */
import type { NormalizedSpan, Usage } from '../../model/span.js';
import { isModelCall } from './model-call.js';
import { sortByStart } from '../basis/sort-in-order.js';

/** Up to this many spans, parents are found by a scan rather than a map. */
const SCAN_LIMIT = 24;

/** Prices a usage at catalog prices (Pricer.priceUsage): the cache detectors' extra cost. */
export type PriceUsage = (p: { model: string | null; provider: string | null; usage: Usage; atUnixMs: number }) => { costUsd: number | null };

/** The spans of one session, sorted and indexed for the detectors. */
export class SessionSpans {
  /** Model-call spans by start time. */
  readonly modelCalls: NormalizedSpan[] = [];
  /** execute_tool spans by start time. */
  readonly toolCalls: NormalizedSpan[] = [];
  /** Spans with an HTTP status (client requests), in arrival order. */
  readonly requests: NormalizedSpan[] = [];
  private byId: Map<string, NormalizedSpan> | null = null;
  private groups: (readonly NormalizedSpan[])[] | null = null;

  constructor(
    readonly spans: readonly NormalizedSpan[],
    /** The session's agent names (summary order). */
    readonly agentNames: readonly string[],
    readonly priceUsage: PriceUsage,
  ) {
    for (const s of spans) {
      if (s.genai.operation === 'execute_tool') this.toolCalls.push(s);
      else if (isModelCall(s)) this.modelCalls.push(s);
      if (s.httpStatus !== undefined && s.httpStatus !== null) this.requests.push(s);
    }
    sortByStart(this.modelCalls);
    sortByStart(this.toolCalls);
  }

  /** Model calls grouped by provider + model (callsByModel), computed once for the cache detectors. */
  get modelGroups(): (readonly NormalizedSpan[])[] {
    return (this.groups ??= callsByModel(this.modelCalls));
  }

  /** The span's parent when it is in the session. */
  parentOf(span: NormalizedSpan): NormalizedSpan | undefined {
    const parentId = span.parentSpanId;
    if (parentId === '') return undefined;
    // Most sessions are a few dozen spans: a scan is cheaper than building a map.
    if (this.spans.length <= SCAN_LIMIT) {
      for (const s of this.spans) if (s.spanId === parentId) return s;
      return undefined;
    }
    if (this.byId === null) {
      this.byId = new Map();
      for (const s of this.spans) this.byId.set(s.spanId, s);
    }
    return this.byId.get(span.parentSpanId);
  }
}

/** The model a call is attributed to, with its provider: the key the cache detectors group calls by. */
export function modelKey(span: NormalizedSpan): string {
  return `${span.genai.provider ?? ''}\u0000${span.genai.requestModel ?? span.genai.responseModel ?? ''}`;
}

/** True when two calls are of the same provider + model (modelKey equality without building the keys). */
export function sameModel(a: NormalizedSpan, b: NormalizedSpan): boolean {
  return a.genai.provider === b.genai.provider && (a.genai.requestModel ?? a.genai.responseModel) === (b.genai.requestModel ?? b.genai.responseModel);
}

/**
 * The session's model calls grouped by provider + model, in start order. Nearly every session calls one model: then
 * the list itself is the only group and no key is built.
 */
export function callsByModel(calls: readonly NormalizedSpan[]): (readonly NormalizedSpan[])[] {
  const first = calls[0];
  if (first === undefined) return [];
  if (calls.every((c) => sameModel(c, first))) return [calls];
  const groups = new Map<string, NormalizedSpan[]>();
  for (const c of calls) {
    const k = modelKey(c);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [c]);
    else g.push(c);
  }
  return [...groups.values()];
}

/** Nanoseconds → milliseconds since the epoch. */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}
